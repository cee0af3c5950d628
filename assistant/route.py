"""Which kind of question is this? Rules only; the default is a single-fact answer."""

from __future__ import annotations

import re
from typing import Literal

from assistant.query import QueryFacts

Kind = Literal["fact", "list", "author", "summary", "overview", "compare"]

# "an overview of the Mamba paper" is one paper's summary, not an overview of a topic
_ONE_PAPER_OVERVIEW = re.compile(r"\boverview of (?:the |this |that )?(?:[\w-]+ ){0,4}paper\b(?!s)", re.I)
_OVERVIEW = re.compile(r"\b(overview|literature review|survey of|review of the literature"
                       # "what is the state of the art in X?", not "improves over the state of the art in both settings"
                       r"|(?:^\s*|\b(?:what(?:'s| is)|describe|explain|tell me about|give me)\s+)(?:the\s+)?(?:current\s+)?"
                       r"state of the art (?:in|on|of)"
                       r"|write (?:me )?(?:a |an )?(?:short )?(?:cited )?(?:report|review|essay|summary of (?:the )?(?:work|research|literature))"
                       r"|^\s*(?:please\s+)?survey\b|what does the (?:literature|research) say (?:about|on)|state of (?:the )?(?:research|work|field|literature) (?:on|in|about)"
                       r"|summari[sz]e (?:the )?(?:research|work|literature|state of the art)(?: here| in the corpus)? (?:on|about|in)\b"
                       # "summarize what the corpus says about X", "what do the papers here say about X"
                       r"|(?:summari[sz]e )?what (?:do |does )?(?:the |these |your )?(?:corpus|literature|papers|collection|library)"
                       r"(?: here| in the corpus)? (?:says?|has to say|have to say) (?:about|on|regarding)\b"
                       r"|summari[sz]e (?:the |all )?(?:papers|works|studies)(?: here| in the corpus)? (?:on|about)\b"
                       # "synthesize the findings on X", "a related-work section on X", "the landscape of X", "a review of"
                       r"|synthesi[sz]e (?:the )?(?:findings|research|work|literature)|related[- ]work section"
                       r"|(?:summari[sz]e|describe|outline|sketch|map out) the (?:research )?landscape of"  # not "the loss landscape"
                       r"|\b(?:a|an) (?:short |brief |quick )?review of|(?:main|key|major) research directions"
                       r"|what do (?:the |these )?papers (?:collectively )?(?:conclude|find|agree on)\b"
                       # "the common approaches to X", "the main lines of work", "an intro section on X", "compare and contrast
                       # the approaches to X", "open problems in X", "tell me about research on X"
                       r"|(?:common|main|major|key|different|various|existing) (?:approaches|methods|techniques|strategies) (?:to|for)\b"
                       r"|main (?:lines|families) of (?:work|research|methods)|intro(?:duction)? section (?:on|about)"
                       r"|compare and contrast the (?:approaches|methods|work)|open (?:problems|questions|challenges) in\b"
                       r"|tell me about (?:the )?(?:research|work|literature) (?:on|in|about))\b", re.I)
_COMPARE = re.compile(r"^\s*(?:please\s+)?(compare|contrast)\b|\b(versus|vs\.?|differences? between|differ from)\s|\bside[- ]by[- ]side\b"
                      # "Mamba or S4 - which is faster?", not "A or B - which papers use them?"
                      r"|^[^?]{2,60}?\bor\b[^?]{2,60}?\s*[-—–:,]\s*which\b(?!\s+(?:papers|works|studies|articles|ones)\b)"
                      r"|^\s*how (?:do|does|did) [^?]{2,80}? (?:and|&) [^?]{2,80}? differ\b"  # "How do A and B differ?"
                      # "what distinguishes A from B", "how is A different from B"
                      r"|\bdistinguish(?:es)?\s[^?]{2,80}?\sfrom\s|^\s*how (?:is|are) [^?]{2,80}? different (?:from|than)\s"
                      r"|^\s*which (?:one |of (?:the|these|them) (?:two|three) )?(?:is|was|does|do|has|gets|scales|performs|works)"
                      r"\b[^?]{0,40}?\b(?:better|worse|faster|slower|cheaper|more|less|higher|lower|best)\b[^?]*\bor\b", re.I)
# "generative vs. discriminative classification - which papers?" asks for papers on a topic that holds a "vs."
_WHICH_PAPERS = re.compile(r"\bwhich (?:papers|works|studies|articles)\b", re.I)
# "compared to/with" asks for a comparison ("Mamba compared to S4?") unless it qualifies a fact question
# ("How much faster is Mamba compared to Transformers?", "What speedup does X report compared with Y?").
_COMPARED = re.compile(r"\bcompared (?:to|with)\s", re.I)
# a fact question opens with a question word, or asks it after a description ("The method that ...: which baseline ...")
_FACT_OPENING = re.compile(r"(?:^|[:;]\s*)(?:what|which|who|when|where|why|is|are|does|do|did|can|by how|how)\b", re.I)
_SUMMARY = re.compile(r"\b(summari[sz]e|summary of|tl;?dr|what does .{2,80}? (?:propose|do|introduce|present|show)"
                      r"|what does the (?:paper|work|study) (?:that|on|about|where|which) .{2,200}? (?:propose|introduce|present)"
                      r"|what is .{2,60}? about|what(?:'s| is) .{2,200}? about(?=\s*[?.!]*\s*$)|explain (?:the )?paper|(?:main|key) (?:idea|contribution|finding)s? of|^\s*describe (?:the )?paper"
                      r"|explain what [\w-]+ (?:does|is|proposes|introduces)(?=\s*\??\s*$)"
                      r"|main idea (?:of|behind)|what did the authors of|what problem does .{2,80}? solve|what(?:'s| is) it about"
                      r"|gist of|key (?:takeaways?|points|ideas?) of|in a nutshell|in (?:simple|plain|layman'?s?) (?:terms|words|english)"
                      r"|^\s*(?:briefly )?describe (?:the |this )?(?:[\w-]+ ){1,4}paper(?!s)|tell me about (?:the|this) paper(?!s)"
                      r"|overview of (?:the |this |that )?(?:[\w-]+ ){0,4}paper(?!s)"
                      # "break down the LoRA paper", "ELI5 the FlashAttention paper", "walk me through the paper X"
                      r"|(?:explain|break down|recap|eli5|walk (?:me )?through|go (?:over|through)|run (?:me )?through)"
                      r" (?:the |this |that )?(?:[\w-]+ ){0,4}paper(?!s))\b", re.I)
# "studies"/"works" after "that", "which", "it" ... is a verb ("the paper that studies it", "how it works"); "case studies",
# "ablation studies" and "user studies" are parts of one paper
_VERB_NOUN = r"(?<!\bthat )(?<![a-z] which )(?<!\bwho )(?<!\bit )(?<!\bhow )(?<!\bone )(?<!\bcase )(?<!\bablation )(?<!\buser )"
_LIST = re.compile(r"\bpapers\b|\barticles\b|" + _VERB_NOUN + r"\b(?:works|studies)\b(?! (?:best|well|better|worse)\b)|\bany (?:work|research|paper)s? (?:on|about|where|in which|that|which)\b"
                   r"|\bwhat does the corpus (?:have|contain|hold) (?:on|about)\b|^\s*(?:please\s+|(?:can|could) you\s+)?list\b|\bevery (?:paper|work|study)\b|\bwhat (?:work|research) is there\b"
                   r"|\b(?:is there|are there|do you have) any(?:thing| work| research)? (?:on|about|related to)\b"
                   r"|\b(?:show|find|give)(?: me)? (?:all |everything |anything |any )?(?:work |research )?(?:on|about|related to)\b"
                   r"|\blooking for (?:any )?(?:work|research|papers?|anything|studies)\b|\bwhat (?:work|research|papers?) exists?\b"
                   r"|\b(?:does|do) (?:the corpus|you|this collection) (?:have|contain|hold) (?:any(?:thing| work| research| papers?)?"
                   r"|something|papers) (?:on|about|related to)\b"
                   r"|^\s*(?:find|show me|search for) (?:all |the )?(?:work|research)\b|\beverything (?:on|about)\b"
                   r"|^\s*(?:what(?:'s| is) (?:there|out there|available)|anything) (?:on|about|regarding|related to)\b"
                   # "got anything about X?", "you got anything on X", "anything here about X", "do you have stuff on X"
                   r"|^\s*(?:(?:have\s+)?you(?:'ve)?\s+got|got|do you have)\s+(?:any(?:thing)?|stuff|something|much)\b[^?]{0,30}?"
                   r"\b(?:on|about|regarding|related to)\b|^\s*anything\s+(?:here|in here|in the corpus)\s+(?:on|about|regarding)\b"
                   # "got anything that trains or analyses ResNets?"
                   r"|^\s*(?:(?:have\s+)?you(?:'ve)?\s+got|got|do you have)\s+(?:anything|something|any (?:work|papers?))\s+(?:that|which)\b"
                   r"|\breading list\b"
                   r"|^\s*any\s+[^?]{1,60}?\s(?:work|research|stuff)\s*\??\s*$"  # "any POMDP work?"
                   # "diffusion models for video - what's in here?", "graph transformers: anything in the corpus?"
                   r"|(?:\s[-–—]|:)\s*(?:what(?:'s| is)|anything|what do you have)\s*(?:in\s+)?(?:here|there|in the corpus)\s*\??\s*$"
                   r"|^\s*what do you have (?:on|about)\b"
                   r"|^\s*which ones\b"  # "which ones deal with tabular data?"
                   # "what's in the collection about X", "is there research on X here?", "find me work that uses X",
                   # "point me to work on X", "what research here looks at X", "knowledge distillation - anything?"
                   r"|^\s*what(?:'s| is) in (?:the (?:collection|corpus|library)|here) (?:on|about|regarding)\b"
                   r"|\b(?:is there|are there) (?:any )?(?:work|research|papers?|studies) (?:on|about|related to|that|which|into)\b"
                   # "does anything here study X? which ones?"
                   r"|\b(?:does|is there) anything (?:(?:here|in here|in the corpus) )?(?:stud(?:y|ies)|cover|address|look at|deal with)\b"
                   r"|\b(?:find|show|give|point)(?: me)?(?: to)? (?:some |any |all |the )?(?:work|research|papers?|studies) (?:that|which|on|about)\b"
                   r"|^\s*what (?:work|research)(?: here| in the corpus)? (?:looks? at|stud(?:y|ies)|explores?|covers?|deals? with|address(?:es)?)\b"
                   r"|(?:\s[-–—]|:)\s*(?:anything|any papers|any work)\s*\??\s*$"
                   # "suggest some reading on X", "everything you've got on X", "enumerate work on X"
                   r"|\b(?:suggest|recommend)(?: me)? (?:some |any )?(?:reading|papers?|work)\b|\beverything (?:you(?:'ve| have)? got|you have) on\b"
                   r"|^\s*(?:enumerate|catalog(?:ue)?) (?:the |all )?(?:work|research|papers)\b", re.I)
# "anything like LambdaNetworks?", "What else is similar to Mamba?": papers like a named one
_MORE_LIKE = re.compile(r"\b(?:anything|something|what else|others?|more)(?: \w+){0,2} (?:similar to|like)\s", re.I)
# "List the authors of the DNABERT-2 paper": one paper's record, no list of papers
_ONE_PAPERS_RECORD = re.compile(r"^\s*(?:please\s+|(?:can|could) you\s+)?(?:list|name|give(?: me)?|show(?: me)?|tell me)\s+"
                                r"(?:all\s+)?(?:the\s+)?(?:authors?|author names|co-?authors|publication (?:date|year))\s+"
                                r"(?:of|for|behind)\s+(?:the\s+|this\s+)?(?!papers\b|(?:all|every|each)\b)", re.I)
# "... in these papers?" points at the corpus; it does not ask for a list of papers
_CORPUS_REFERENCE = re.compile(r"\b(?:in|from|across|among|by|according to) (?:these|the|those|our|your|all the) "
                               r"(?:papers|works|studies|articles)\b(?! (?:on|about|that|which|from \d))"
                               # "does any of the papers measure ...", "what do the papers report as ..."
                               r"|\b(?:any|one|some|none|each) of (?:the|these|those) papers\b"
                               r"|\b(?:do|did|does) (?:the|these) papers (?:report|measure|claim|find|use)\b", re.I)
_AUTHOR_CUE = re.compile(r"\b(papers?|works?|publish\w*|write|writes|wrote|written|authored|co-?author\w*|worked on|work on|by|research"
                         r"|from)\b", re.I)  # "anything from X", "Chen, Yixin - what is in the corpus from them?"


# words that make a short phrase a question about something in particular, not a topic to list papers on
_NOT_BARE = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how|is|are|was|were|does|do|did|can|could|should"
                       r"|would|will|has|have|had|explain|describe|tell|give|show|summari[sz]e|compare|list|find|define"
                       r"|means?|vs|versus|paper|accuracy|speedup|faster|score|scores|results?|performance|number|size"
                       r"|cost|better|best|worse|fid|bleu|perplexity|latency|throughput|parameters)\b|\d", re.I)


def bare_topic(question: str) -> bool:
    """A short phrase with no question in it ("ML for molecules and materials?"), typed as into a search box:
    the papers on that topic are the answer, unless it names one paper. With no conversation to complete it,
    "what about diffusion models for video?" is one too."""
    question = re.sub(r"^\s*(?:and\s+)?(?:what|how) about\s+", "", question, flags=re.I)
    return 1 <= len(re.findall(r"[\w'-]+", question)) <= 6 and not _NOT_BARE.search(question)


_EXPLAIN = re.compile(r"^\s*(?:please\s+)?(?:explain|describe|what is|what's|whats|tell me about)\s+(?:the\s+)?"
                      r"(?P<name>[^?]{2,60}?)(?:\s+(?:paper|model|method|approach|architecture))?(?:\s+to me)?"
                      r"(?:\s+in (?:a few|one|two|three|simple|plain|short) \w+)?\s*[?.!]*$", re.I)


# "explain how SelfCheck works", "how does Lipsum-FT work?"
_HOW_IT_WORKS = re.compile(r"^\s*(?:please\s+)?(?:(?:explain|describe|tell me)(?: to me)? how|how does)\s+(?:the\s+)?"
                           r"(?P<name>[^?]{2,60}?)(?:\s+(?:paper|model|method|approach|architecture))?\s+works?"
                           r"(?:\s+in (?:a few|one|two|three|simple|plain|short) \w+)?\s*[?.!]*$", re.I)


def explained_name(question: str) -> str | None:
    """What "explain pLSTM to me in a few sentences", "what is AuON?" or "explain how SelfCheck works" asks about
    ("pLSTM", "AuON", "SelfCheck"): when that is a paper's name, the question asks for its summary. None for a
    question about something in it ("what is HiPPO's accuracy on Path-X?")."""
    match = _HOW_IT_WORKS.match(question) or _EXPLAIN.match(question)
    if not match or len(match.group("name").split()) > 6 or _NOT_BARE.search(match.group("name")):
        return None
    return match.group("name")


# what is left of "X - anything in the corpus?" or "X: what do you have?" once the name is taken out
_ONLY_ASKING = re.compile(r"(?:\W|\b(?:anything|something|what(?:'s)?|do|you|we|have|got|is|there|here|in|the|corpus|collection"
                          r"|library|please|any|from|them|him|her)\b)*", re.I)


def route(question: str, facts: QueryFacts) -> Kind:
    if _OVERVIEW.search(question) and not _ONE_PAPER_OVERVIEW.search(question):
        return "overview"
    an_authors_papers = bool(facts.author) and bool(re.search(r"\b(papers|works|publications)\b", question, re.I))
    if re.match(r"\s*(summari[sz]e|tl;?dr)\b", question, re.I) and not an_authors_papers:
        return "summary"  # "summarize the Mamba paper by X" is one paper; "summarize the papers by X" a list
    if ((_COMPARE.search(question) or (_COMPARED.search(question) and not _FACT_OPENING.search(question)))
            and not _WHICH_PAPERS.search(question)):
        return "compare"
    # "Yixin Chen?", "Cunningham, John - anything in the corpus?"
    name_alone = facts.author and _ONLY_ASKING.fullmatch(question.replace(facts.author, ""))
    if facts.author and (_AUTHOR_CUE.search(question) or name_alone):
        return "author"
    if _SUMMARY.search(question):
        return "summary"
    if _ONE_PAPERS_RECORD.search(question):
        return "fact"
    if _MORE_LIKE.search(question):
        return "list"
    if _LIST.search(_CORPUS_REFERENCE.sub(" ", _HOW_IT_WORKS.sub(" ", question))):  # "how X works" asks no list
        return "list"
    return "fact"
