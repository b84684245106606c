"""Texts of the demo site.

- The Kremlin's readout of the Putin–Trump telephone conversation of 21 November 2017
  (en.kremlin.ru/events/president/news/56155; Kremlin content is CC BY 4.0, "President of
  Russia"), abridged for the demo, with the Kremlin's non-breaking spaces after short words.
- The White House readout of the same call (a US government work, public domain), abridged.
- The other pages (a second readout, a later one, a commentary article) were written for
  the demo and describe no real event.
"""

NBSP = "\u00a0"

KREMLIN_CALL_PATH = "/events/president/news/56155"
KREMLIN_CALL = {
    "title": "Telephone conversation with US President Donald Trump",
    "published_at": "2017-11-21T20:30:00+03:00",
    "place": "Sochi",
    "paragraphs": [
        "Vladimir Putin had a telephone conversation with President of the United States Donald Trump.",
        f"The two presidents discussed in{NBSP}detail current aspects of{NBSP}the Syrian issue in{NBSP}view of{NBSP}the military operation to{NBSP}defeat terrorists in{NBSP}Syria nearing its end.",
        f"Vladimir Putin confirmed Russia’s readiness to{NBSP}facilitate a{NBSP}lasting political settlement in{NBSP}Syria based on{NBSP}UN Security Council Resolution 2254, the agreements reached within the{NBSP}Astana format and the{NBSP}provisions of{NBSP}the joint statement of{NBSP}the Russian and US presidents approved on{NBSP}November 11 at{NBSP}the APEC summit in{NBSP}Vietnam. It was noted in{NBSP}this context that the{NBSP}statement received a{NBSP}positive response in{NBSP}the Middle East.",
        f"The sides emphasised the{NBSP}importance of{NBSP}upholding Syria’s sovereignty, independence and territorial integrity and achieving a{NBSP}political settlement based on{NBSP}principles that must be worked out during the{NBSP}broadest possible intra-Syrian negotiation process.",
        f"Vladimir Putin informed Donald Trump of{NBSP}the main results of{NBSP}his meeting with President of{NBSP}Syria Bashar al-Assad on{NBSP}November 20, during which the{NBSP}Syrian leader reaffirmed his commitment to{NBSP}the political process, constitutional reform, and presidential and parliamentary elections.",
        f"The two leaders also discussed the{NBSP}situation on{NBSP}the Korean Peninsula, the{NBSP}situation in{NBSP}Afghanistan, and the{NBSP}Iranian nuclear programme.",
        "The conversation was businesslike and substantive.",
    ],
}
# What the Kremlin page says after the demo's edit: one sentence is gone, one word changed.
KREMLIN_CALL_EDITED = {
    **KREMLIN_CALL,
    "paragraphs": [
        p.replace(
            f" It was noted in{NBSP}this context that the{NBSP}statement received a{NBSP}positive response in{NBSP}the Middle East.",
            "",
        ).replace("businesslike and substantive", "businesslike and constructive")
        for p in KREMLIN_CALL["paragraphs"]
    ],
}

WHITEHOUSE_CALL_PATH = (
    "/briefings-statements/readout-president-donald-j-trumps-call-president-vladimir-putin-russia/"
)
WHITEHOUSE_CALL = {
    "title": "Readout of President Donald J. Trump’s Call with President Vladimir Putin of Russia",
    "published_at": "2017-11-21T16:00:00-05:00",
    "paragraphs": [
        "President Donald J. Trump spoke today with President Vladimir Putin of Russia.",
        "The two presidents affirmed their support for the joint statement issued by the United States and Russia at the APEC Summit in Vietnam on November 11, 2017.",
        "The presidents reaffirmed the importance of implementing United Nations Security Council Resolution 2254 and supporting the UN-led Geneva process to peacefully resolve the Syrian civil war, end the humanitarian crisis, allow displaced Syrians to return home, and ensure the stability of a unified Syria free of malign intervention and terrorist safe havens.",
        "President Trump and President Putin also discussed ways to cooperate in fighting terrorism throughout the Middle East and Central Asia, how to implement a lasting peace in Ukraine, and the need to continue pressure on North Korea to halt its nuclear and missile programs.",
    ],
}

SECOND_READOUT_PATH = "/events/president/news/56160"
SECOND_READOUT = {
    "title": "Telephone conversation with Prime Minister of the Demo Republic",
    "published_at": "2017-11-22T11:15:00+03:00",
    "place": "Moscow",
    "paragraphs": [
        "Vladimir Putin had a telephone conversation with the Prime Minister of the Demo Republic. (This readout was written for the readout-monitor demo and describes no real event.)",
        "The leaders discussed trade and energy cooperation and the preparations for an intergovernmental commission meeting next spring.",
        "The leaders agreed to maintain contacts.",
    ],
}

LATER_READOUT_PATH = "/events/president/news/56170"
LATER_READOUT = {
    "title": "Meeting with permanent members of the Demo Council",
    "published_at": "2017-11-24T15:00:00+03:00",
    "place": "The Kremlin, Moscow",
    "paragraphs": [
        "Vladimir Putin held a meeting with permanent members of the Demo Council. (Written for the readout-monitor demo; no real event.)",
        "The participants discussed the results of the recent telephone conversations with foreign leaders.",
    ],
}

COMMENTARY_PATH = "/2017/11/22/putin-and-trump-talk-syria-by-phone/"
COMMENTARY = {
    "title": "Putin and Trump talk Syria by phone on the eve of the Sochi summit",
    "published_at": "2017-11-22T09:10:00+00:00",
    "author": "Demo Columnist",
    "paragraphs": [
        "The Russian and American presidents spoke by phone on Tuesday, one day after Bashar al-Assad's visit to Sochi. (A commentary article written for the readout-monitor demo.)",
        "According to the Kremlin's readout, “the two presidents discussed in detail current aspects of the Syrian issue in view of the military operation to defeat terrorists in Syria nearing its end.”",
        "The Kremlin also claimed that “it was noted in this context that the statement received a positive response in the Middle East” — a claim worth checking.",
        "Putin, the readout says, “confirmed Russia’s readiness to facilitate a lasting political settlement in Syria based on [the] UN Security Council Resolution 2254 … and the provisions of the joint statement” agreed in Vietnam.",
        "Washington's own account stressed the Geneva process instead. Whether the two sides mean the same thing by a political settlement remains to be seen.",
    ],
}

AGENCY_REPORT_PATH = "/2017/11/21/putin-trump-discuss-syria-in-phone-call/"
AGENCY_REPORT = {
    "title": "Putin, Trump discuss Syria in phone call — Kremlin",
    "published_at": "2017-11-21T19:05:00+00:00",
    "author": "Demo Agency",
    "paragraphs": [
        "MOSCOW, November 21. Russian President Vladimir Putin and US President Donald Trump held a telephone conversation on Tuesday, the Kremlin press service reported. (A news-agency report written for the readout-monitor demo: it reports the readout in its own words.)",
        "The presidents talked in detail about the Syrian settlement as the military campaign to defeat the terrorists in Syria is coming to a close, according to the Kremlin.",
        "Putin said Moscow stands ready to help bring about a durable political solution for Syria on the basis of UN Security Council resolution 2254 and the Astana agreements.",
        "Putin also briefed Trump on the outcome of his talks with Syrian President Bashar al-Assad in Sochi on Monday, where Assad committed to constitutional reform and new elections.",
        "Local football results and the weather forecast for the weekend follow below.",
    ],
}
