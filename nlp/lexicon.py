"""Every word list the rules use, in one place.

Change a list here and bump ``RULES_VERSION`` so stored annotations can be told apart.
"""

from __future__ import annotations

RULES_VERSION = "4"

# Lemmas of verbs that introduce reported speech (PARC-style attribution cues).
SPEECH_VERBS: frozenset[str] = frozenset(
    {
        "say", "tell", "add", "warn", "write", "report", "state", "claim", "announce",
        "argue", "explain", "note", "insist", "assert", "declare", "acknowledge", "admit",
        "allege", "contend", "continue", "reply", "respond", "remark", "comment", "observe",
        "predict", "promise", "pledge", "vow", "suggest", "stress", "emphasize", "emphasise",
        "reiterate", "repeat", "recall", "remind", "confirm", "deny", "concede", "complain",
        "caution", "urge", "estimate", "conclude", "maintain", "mention", "disclose", "reveal",
        "testify", "tweet", "post", "quip", "ask", "answer", "boast", "charge", "counter",
        "indicate", "signal", "underscore", "proclaim", "affirm", "agree", "believe", "think",
        "recount", "joke", "lament", "describe", "brief", "shout",
        # added for unseen news (issue 15)
        "hint", "inform", "assure", "reassure", "imply", "plead", "implore", "gush", "fume",
        "interject", "advise", "exclaim", "threaten", "retort", "rule", "propose", "demand",
        "speculate", "muse", "scoff", "grumble", "mutter", "whisper", "yell", "brag",
        "notify", "forecast", "point", "chime",
    }
)  # fmt: skip

# Speech verbs that are cues only with their particle: "pointed out that", "chimed in that".
PHRASAL_CUES: dict[str, str] = {"point": "out", "chime": "in"}

# Verbs whose to-infinitive complement is reported speech: "urged members to reject the
# offer", "vowed to fight on", "pleaded with the jury to acquit". The content is the object
# (if any) plus the infinitive clause.
INFINITIVE_CUES: frozenset[str] = frozenset(
    {"urge", "vow", "promise", "pledge", "ask", "tell", "warn", "threaten", "implore", "plead",
     "advise", "press", "encourage", "beg", "remind", "call", "demand", "propose", "order",
     "instruct", "invite"}
)  # fmt: skip
# ... of which these are cues only with that complement ("pressed ahead" is not speech).
INFINITIVE_ONLY_VERBS: frozenset[str] = frozenset(
    {"press", "encourage", "beg", "call", "order", "instruct", "invite"}
)

# Nouns that report speech when a that-clause or to-infinitive hangs off them and a possessor
# or by/from phrase names the source: "the governor's announcement that schools reopen".
NOMINAL_CUES: frozenset[str] = frozenset(
    {"announcement", "claim", "allegation", "pledge", "warning", "proposal", "vow", "promise",
     "assertion", "assurance", "insistence", "admission", "accusation", "suggestion",
     "prediction", "threat", "demand", "denial", "contention", "statement", "call",
     "argument", "complaint", "confirmation", "declaration", "recommendation"}
)  # fmt: skip

# Participles that report when they hang off a document noun: "a statement saying",
# "a report showing": the source is whoever issued the document.
DOCUMENT_PARTICIPLES: frozenset[str] = frozenset(
    {"say", "show", "warn", "state", "claim", "announce", "suggest", "confirm", "argue",
     "accuse", "urge", "call", "describe", "note", "insist", "deny", "conclude", "find"}
)  # fmt: skip

# Clauses that stop a reported clause when a comma or dash leads them and they run to its end:
# "..., which critics dispute" (non-restrictive relative), "..., although ..." (concessive);
# also "— without specifying when" (the reporter's comment).
CONTENT_STOP_WORDS: frozenset[str] = frozenset({"which", "although", "though", "whereas"})

# Cues that only count as speech when a clause (not just an object) follows them.
CLAUSE_ONLY_VERBS: frozenset[str] = frozenset(
    {"continue", "post", "believe", "think", "indicate", "signal", "agree", "describe", "brief",
     "maintain", "charge", "counter", "answer", "ask", "report", "note", "add"}
)  # fmt: skip

# Verbs that are speech cues only with a clausal complement and a quote adjacent, never alone
# for indirect speech (too often used for non-speech: "think" in narration).
DIRECT_ONLY_VERBS: frozenset[str] = frozenset({"think", "believe", "continue", "answer", "ask"})

# "declined to say", "refused to comment": a cue under these heads reports nothing.
NEGATING_HEADS: frozenset[str] = frozenset({"decline", "refuse", "fail", "deny"})

# Multi-word prepositional cues: "according to X, ...".
ACCORDING_TO = ("according", "to")

# Unnamed group or generic sources: speaker text kept, no entity.
UNNAMED_SOURCE_NOUNS: frozenset[str] = frozenset(
    {
        "official", "analyst", "expert", "source", "diplomat", "observer", "critic",
        "people", "person", "resident", "witness", "lawmaker", "legislator", "investigator",
        "researcher", "scholar", "economist", "activist", "supporter", "opponent", "aide",
        "insider", "authority", "government", "leader", "member", "report", "media",
        "officer", "commentator", "statement", "document", "someone", "other", "many",
        "some", "several", "voter", "worker", "student", "scientist", "defector",
    }
)  # fmt: skip

# Singular role nouns for people: "the spokesman said" is resolved to a named person with that role.
PERSON_ROLE_NOUNS: frozenset[str] = frozenset(
    {
        "spokesman", "spokeswoman", "spokesperson", "minister", "president", "secretary",
        "ambassador", "envoy", "chairman", "chairwoman", "chair", "director", "chief",
        "commander", "general", "senator", "representative", "governor", "mayor", "premier",
        "chancellor", "leader", "adviser", "advisor", "official", "prosecutor", "judge",
        "lawyer", "attorney", "analyst", "expert", "professor", "fellow", "researcher",
        "economist", "negotiator", "diplomat", "aide", "head", "executive", "ceo", "founder",
        "speaker", "lawmaker", "candidate", "king", "queen", "prime", "officer", "correspondent",
        "commissioner", "inspector", "coach", "manager", "captain", "owner", "treasurer",
        "councillor", "councilor", "councilman", "councilwoman", "deputy", "superintendent",
        "sheriff", "magistrate", "justice", "dean", "principal", "editor", "chairperson",
        "congressman", "congresswoman", "mp", "legislator", "auditor", "regulator", "rector",
        "vice-president", "incumbent", "challenger", "rival", "counterpart",
    }
)  # fmt: skip

# Spokes* are one role.
ROLE_SYNONYMS: dict[str, str] = {
    "spokesman": "spokesperson",
    "spokeswoman": "spokesperson",
    "advisor": "adviser",
    "chairwoman": "chairman",
    "chair": "chairman",
}

# Nouns for organisations and outlets that speak: "the agency said", "the ministry said".
ORG_ROLE_NOUNS: frozenset[str] = frozenset(
    {
        "agency", "ministry", "department", "newspaper", "broadcaster", "outlet", "office",
        "government", "kremlin", "administration", "company", "group", "party", "military",
        "army", "council", "committee", "court", "embassy", "service", "network", "station",
        "daily", "paper", "website", "statement", "report", "union", "organization",
        "organisation", "commission", "bureau", "board", "firm", "campaign", "white",
        "trust", "alliance", "authority", "association", "federation", "institute",
        "foundation", "bank", "university", "hospital", "airline", "regulator", "coalition",
        "movement", "charity", "club", "team", "league", "police", "force",
    }
)  # fmt: skip

# Document nouns whose source is an entity inside them: "a statement on the Kremlin's website".
DOCUMENT_NOUNS: frozenset[str] = frozenset(
    {"statement", "report", "website", "post", "letter", "communique", "release", "readout",
     "dispatch", "article", "editorial", "commentary", "message", "tweet", "video"}
)  # fmt: skip

PERSONAL_PRONOUNS: dict[str, str] = {
    "he": "person", "him": "person", "she": "person", "her": "person",
    "his": "person", "hers": "person",
    "it": "org", "its": "org", "they": "plural", "them": "plural", "their": "plural",
    "we": "plural", "our": "plural", "i": "self",
}  # fmt: skip

# Grammatical gender of the personal pronouns.
PRONOUN_GENDER: dict[str, str] = {
    "he": "m", "him": "m", "his": "m", "himself": "m",
    "she": "f", "her": "f", "hers": "f", "herself": "f",
}  # fmt: skip

# Gender evidence for a person: honorifics and gendered role nouns before or around a name.
GENDERED_WORDS: dict[str, str] = {
    "mr": "m", "mister": "m", "sir": "m", "lord": "m", "king": "m", "prince": "m",
    "spokesman": "m", "chairman": "m", "congressman": "m", "businessman": "m",
    "councilman": "m", "assemblyman": "m", "alderman": "m", "countryman": "m",
    "father": "m", "son": "m", "brother": "m", "husband": "m", "uncle": "m", "nephew": "m",
    "grandfather": "m", "boy": "m", "man": "m", "duke": "m", "emperor": "m", "sheikh": "m",
    "mrs": "f", "ms": "f", "miss": "f", "madam": "f", "madame": "f", "dame": "f",
    "lady": "f", "queen": "f", "princess": "f", "spokeswoman": "f", "chairwoman": "f",
    "congresswoman": "f", "businesswoman": "f", "councilwoman": "f", "assemblywoman": "f",
    "mother": "f", "daughter": "f", "sister": "f", "wife": "f", "widow": "f", "aunt": "f",
    "niece": "f", "grandmother": "f", "girl": "f", "woman": "f", "duchess": "f",
    "empress": "f", "actress": "f", "sheikha": "f",
}  # fmt: skip

# Name particles: part of a surname, never a name on their own ("de Vries", "al-Rashid").
NAME_PARTICLES: frozenset[str] = frozenset(
    {"de", "del", "della", "der", "den", "di", "da", "das", "do", "dos", "du", "la", "le",
     "van", "von", "zu", "ter", "ten", "bin", "ibn", "bint", "al", "el", "abu", "ben", "y",
     "e", "st", "mac", "ap"}
)  # fmt: skip

# Honorifics and titles dropped when normalising person names.
HONORIFICS: frozenset[str] = frozenset(
    {
        "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dame", "lord", "lady", "sen", "rep",
        "gov", "gen", "col", "lt", "maj", "capt", "sgt", "adm", "president", "premier",
        "minister", "secretary", "chairman", "leader", "king", "queen", "prince", "princess",
        "pope", "rev", "judge", "justice", "mayor", "governor", "senator", "representative",
        "marshal", "admiral", "spokesman", "spokeswoman", "spokesperson", "former", "the",
        "prime", "vice", "deputy", "chief", "ambassador", "general", "cabinet", "navy",
    }
)  # fmt: skip

# Words ignored when building or checking an acronym from a long form.
ACRONYM_STOPWORDS: frozenset[str] = frozenset({"of", "the", "and", "for", "on", "in", "&", "de"})

# Well-known short forms that name the same entity as a long form, for cross-article keys.
KNOWN_ALIASES: dict[str, str] = {
    "us": "united states",
    "usa": "united states",
    "united states of america": "united states",
    "america": "united states",
    "uk": "united kingdom",
    "britain": "united kingdom",
    "great britain": "united kingdom",
    "un": "united nations",
    "eu": "european union",
    "dprk": "north korea",
    "democratic peoples republic of korea": "north korea",
    "rok": "south korea",
    "republic of korea": "south korea",
    "prc": "china",
    "peoples republic of china": "china",
    "kcna": "korean central news agency",
    "nato": "north atlantic treaty organization",
    "ap": "associated press",
    "the associated press": "associated press",
}

# Entity labels kept from the NER (the rest, dates and numbers, are not entities to store).
KEPT_LABELS: frozenset[str] = frozenset(
    {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART"}
)

# Coarse type used in cross-article keys: the small model often swaps ORG/GPE/FAC.
KEY_TYPE: dict[str, str] = {
    "PERSON": "person",
    "ORG": "org",
    "GPE": "org",
    "FAC": "org",
    "LOC": "org",
    "NORP": "norp",
    "EVENT": "event",
    "LAW": "law",
    "PRODUCT": "product",
    "WORK_OF_ART": "work",
}

# Minimum words in a quoted fragment inside reported speech for it to make the quote "mixed";
# a single quoted word there is treated as a scare quote.
MIN_MIXED_FRAGMENT_WORDS = 2
# Minimum words for a stand-alone quoted sentence with no cue to count as a direct quote.
MIN_UNATTRIBUTED_QUOTE_WORDS = 4

# Entity types that can be the source of a quote.
KEEP_TYPES_FOR_SPEAKERS: frozenset[str] = frozenset({"PERSON", "ORG", "GPE", "NORP", "FAC"})

# Words that make a capitalised name an organisation or place, not a person.
ORG_NAME_WORDS: frozenset[str] = frozenset(
    {"ministry", "bank", "party", "university", "college", "school", "council", "committee",
     "agency", "association", "group", "company", "corp", "corporation", "inc", "ltd", "llc",
     "plc", "news", "times", "post", "herald", "gazette", "ledger", "journal", "union", "fund",
     "forum", "league", "club", "institute", "foundation", "court", "department", "office",
     "commission", "federation", "authority", "service", "services", "airlines", "airways",
     "motors", "foods", "energy", "resources", "pharma", "shipping", "holdings", "capital",
     "partners", "bureau", "board", "center", "centre", "hospital", "church", "city", "county",
     "state", "republic", "kingdom", "park", "street", "square", "river", "island", "islands",
     "mountains", "sea", "ocean", "bay", "airport", "station", "stadium", "fc", "united",
     "rovers", "army", "navy", "force", "forces", "police", "government", "administration",
     "media", "press", "radio", "television", "tv", "network", "daily", "weekly", "sport",
     "sports", "chronicle", "courier", "tribune", "express", "observer", "guardian", "review"}
)  # fmt: skip


def _inflections(lemma: str) -> set[str]:
    forms = {lemma, lemma + "s", lemma + "ed", lemma + "d", lemma + lemma[-1] + "ed"}
    if lemma.endswith("y"):
        forms |= {lemma[:-1] + "ies", lemma[:-1] + "ied"}
    if lemma.endswith(("sh", "ch", "s", "x")):
        forms.add(lemma + "es")
    return forms


_IRREGULAR = {"say": {"said"}, "tell": {"told"}, "write": {"wrote", "written"},
              "think": {"thought"}, "plead": {"pled"}, "speak": {"spoke"}}  # fmt: skip

# Inflected forms of the speech verbs, for rules that run before (or despite) the tagger:
# "“Why now?” the senator asked." and Title-Case headlines ("Minister Says ...").
SPEECH_FORMS: frozenset[str] = frozenset(
    f
    for lemma in SPEECH_VERBS | {"speak"}
    for f in _inflections(lemma) | _IRREGULAR.get(lemma, set())
)
