"""The bundled demo: a small site of readouts and commentary served on 127.0.0.1."""
