"""Question -> kind, on a table of phrasings (rules only, no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.query import QueryFacts
from assistant.route import bare_topic, explained_name, route

NONE = QueryFacts()
DAO = QueryFacts(author="Tri Dao", topic="")

CASES: list[tuple[str, QueryFacts, str]] = [
    # fact: the default, including singular "which paper" and comparisons inside a fact question
    ("What is linear attention?", NONE, "fact"),
    ("How does Mamba scale with sequence length?", NONE, "fact"),
    ("What accuracy does HiPPO reach on Path-X?", NONE, "fact"),
    ("Which paper introduces agent tokens?", NONE, "fact"),
    ("Which paper proposed Mamba and what speedup does it report?", NONE, "fact"),
    ("How much faster is Mamba compared to Transformers at inference?", NONE, "fact"),
    ("What speedup does HyperAttention report compared with FlashAttention?", NONE, "fact"),
    ("How much does the simplified linear diffusion transformer cut training steps compared to DiT?", NONE, "fact"),
    ("Does LinFusion need retraining when compared to Stable Diffusion?", NONE, "fact"),
    ("The sparse attention method built on linear attention: which baseline did it beat, and how much memory did it "
     "need compared with it?", NONE, "fact"),
    ("What does Tri Dao say about selective state spaces?", DAO, "fact"),
    # list
    ("Which papers use linear attention?", NONE, "list"),
    ("Any work on symbolic regression?", NONE, "list"),
    ("Any work where several agents debate each other to improve reasoning?", NONE, "list"),
    ("is there any research in which models grade their own answers?", NONE, "list"),
    ("any POMDP work?", NONE, "list"),
    ("any work that runs experiments on Atari games?", NONE, "list"),
    ("got anything that trains or analyses ResNets / residual networks?", NONE, "list"),
    ("Are there any papers which prune attention heads?", NONE, "list"),
    # casual: "got anything about X", "anything here about X", "do you have stuff on X"
    ("what's in the collection about graph neural networks", NONE, "list"),
    ("find me work that uses contrastive learning for sentence embeddings", NONE, "list"),
    ("is there research on neural architecture search here?", NONE, "list"),
    ("knowledge distillation - anything?", NONE, "list"),
    ("can you point me to work on differential privacy in deep learning", NONE, "list"),
    ("what research here looks at mechanistic interpretability of transformers", NONE, "list"),
    ("what is the main limitation of linear attention according to the papers?", NONE, "fact"),
    ("in the ViT paper, which patch size works best?", NONE, "fact"),  # "works" is a verb
    ("break down the LoRA paper for me", NONE, "summary"),
    ("ELI5 the FlashAttention paper", NONE, "summary"),
    ("can you recap the DPO paper", NONE, "summary"),
    ("walk me through the paper Scaling Laws for Neural Language Models", NONE, "summary"),
    ("synthesize the findings on scaling laws across the corpus", NONE, "overview"),
    ("can you write a short related-work section on retrieval-augmented generation, citing the papers", NONE, "overview"),
    ("give me a review of the main approaches to continual learning discussed in these works", NONE, "overview"),
    ("summarize the landscape of vision-language pretraining across the papers", NONE, "overview"),
    ("What does the sharpness of the loss landscape of transformers depend on?", NONE, "fact"),
    ("what are the main research directions in offline RL according to this corpus? cite papers", NONE, "overview"),
    ("what do the papers collectively conclude about benchmark data contamination? cite them", NONE, "overview"),
    ("what distinguishes GPT-3 from T5", NONE, "compare"),
    ("side-by-side of GPTQ, AWQ and SmoothQuant", NONE, "compare"),
    ("what do the papers report as the accuracy of chain-of-thought prompting on GSM8K?", NONE, "fact"),
    ("does any of the papers measure how much GPU memory the KV cache takes at 32k context?", NONE, "fact"),
    ("suggest some reading on mechanistic interpretability", NONE, "list"),
    ("I want everything you've got on RLHF and preference optimization.", NONE, "list"),
    ("enumerate work on model quantization below 4 bits", NONE, "list"),
    ("whats the main idea behind Toolformer", NONE, "summary"),
    ("what did the authors of 'Attention Is All You Need' find?", NONE, "summary"),
    ("what problem does the FlashAttention paper solve and how?", NONE, "summary"),
    ("I haven't read 'Denoising Diffusion Probabilistic Models' - what's it about, in one paragraph?", NONE, "summary"),
    ("what are the common approaches to long-context modeling across these papers?", NONE, "overview"),
    ("compare and contrast the approaches to LLM alignment in the corpus", NONE, "overview"),
    ("draft an intro section on efficient attention mechanisms with citations", NONE, "overview"),
    ("what are the open problems in RLHF according to the papers?", NONE, "overview"),
    ("tell me about research on in-context learning", NONE, "overview"),
    ("What are the main families of methods for LLM quantization and their trade-offs?", NONE, "overview"),

    ("how is SimCLR different from MoCo", NONE, "compare"),
    ("got anything about periodic functions or periodic structure?", NONE, "list"),
    ("you got anything on diffusion models?", NONE, "list"),
    ("anything here about optimal transport?", NONE, "list"),
    ("do you have stuff on reinforcement learning?", NONE, "list"),
    ("diffusion models for high-resolution image generation - what's in here?", NONE, "list"),
    ("graph transformers: anything in the corpus?", NONE, "list"),
    ("What do you have on model merging?", NONE, "list"),
    ("I'm looking for work on knowledge distillation", NONE, "list"),
    ("Does the corpus have anything on Bayesian optimization?", NONE, "list"),
    ("What research exists on neural architecture search?", NONE, "list"),
    ("Could you find everything related to quantization?", NONE, "list"),
    ("Can you explain what ScaleCrafter does?", NONE, "summary"),
    ("Key findings of the paper 'Context-Aware Meta-Learning'?", NONE, "summary"),
    ("How do Matryoshka Diffusion Models and ScaleCrafter differ?", NONE, "compare"),
    ("What is the state of research on LLM agents?", NONE, "overview"),
    ("What is the state of the art in protein folding?", NONE, "overview"),
    ("state of the art in video generation?", NONE, "overview"),
    ("How much does the agent improve over the state of the art in its two settings?", NONE, "fact"),
    ("What does the literature say about model merging?", NONE, "overview"),
    ("Summarize the research here on humans in the loop: human feedback and human-AI collaboration.", NONE, "overview"),
    # "case studies" is part of one paper, not a request for papers
    ("Which set representations does the verification tool use, and what are its two real-world case studies?",
     NONE, "fact"),
    ("Summarize what the corpus says about benign overfitting and simplicity biases.", NONE, "overview"),
    ("what do the papers here say about quantization?", NONE, "overview"),
    ("Summarize the papers on federated learning", NONE, "overview"),
    ("Please list every paper about federated learning", NONE, "list"),
    ("Which ones deal with tabular data?", NONE, "list"),
    ("Any recent diffusion research?", NONE, "list"),
    ("List the papers about quantization", NONE, "list"),
    ("What does the corpus have on anomaly detection?", NONE, "list"),
    ("Which studies evaluate on ImageNet?", NONE, "list"),
    # "studies"/"works" as a verb does not ask for papers
    ("How much activation memory does gradient checkpointing save in the paper that studies it?", NONE, "fact"),
    ("In the Mamba paper, what explains how it works on long sequences?", NONE, "fact"),
    ("Which works use GANs for data augmentation?", NONE, "list"),
    ("Which of the papers in the corpus use reinforcement learning?", NONE, "list"),
    ("What do the papers on Mamba say about speed?", NONE, "list"),
    ("Is there anything on diffusion models for video?", NONE, "list"),
    ("Show me everything about federated learning", NONE, "list"),
    ("Find research related to reinforcement learning from human feedback", NONE, "list"),
    ("Do you have any work on protein design?", NONE, "list"),
    ("What's there on vision transformers?", NONE, "list"),
    ("Summarize the research on sports analytics", NONE, "overview"),  # a topic, not one paper
    ("What does the paper on rethinking transformer scaling by turning the model parameters into tokens propose?",
     NONE, "summary"),  # a long description of the paper is still a request for its summary
    ("Anything on category theory?", NONE, "list"),
    ("Does the Mamba paper say anything on memory use?", NONE, "fact"),  # "anything on" mid-question is not a list
    # "in these papers" refers to the corpus; it does not ask for a list
    ("How is deep learning used for 5G channel estimation in these papers?", NONE, "fact"),
    ("What optimizers are used across the papers?", NONE, "fact"),
    # author (needs a name the catalog knows, here given directly)
    ("What did Tri Dao publish?", DAO, "author"),
    ("Papers by Tri Dao", DAO, "author"),
    ("Which papers did Tri Dao co-author?", DAO, "author"),
    ("What has Tri Dao worked on?", DAO, "author"),
    ("anything from tri dao in the corpus?", DAO, "author"),
    ("Did Tri Dao write anything about state space models?", DAO, "author"),
    ("What is Tri Dao's research about?", DAO, "author"),
    ("Dao, Tri - what is in the corpus from them?", DAO, "author"),
    ("What do you have from Tri Dao", DAO, "author"),
    ("Tri Dao?", DAO, "author"),  # the name alone
    ("Dao, Tri - anything in the corpus?", QueryFacts(author="Dao, Tri", topic=""), "author"),
    ("Dao, Tri - what's in here?", QueryFacts(author="Dao, Tri", topic=""), "author"),
    ("Papers by Tri Dao", NONE, "list"),  # without a catalog name it is a plain list question
    # summary
    ("Summarize LambdaNetworks", NONE, "summary"),
    ("Summarise the Mamba paper", NONE, "summary"),
    ("summarize the Mamba paper by Tri Dao", DAO, "summary"),
    ("tl;dr of the paper that speeds up attention by comparing softmax and linear kernels", NONE, "summary"),
    ("TLDR: Agent Attention", NONE, "summary"),
    ("What does Agent Attention propose?", NONE, "summary"),
    ("What is the Mamba paper about?", NONE, "summary"),
    # a long title, unquoted: "about" closing the question still asks what the paper is about
    ("What is Algorithms for Caching and MTS with reduced number of predictions about?", NONE, "summary"),
    ("What's Sparse Modular Activation for Efficient Sequence Modeling about?", NONE, "summary"),
    ("Explain the paper on HiPPO", NONE, "summary"),
    ("What is the main contribution of LiT?", NONE, "summary"),
    ("Describe the paper 'Mamba: Linear-Time Sequence Modeling with Selective State Spaces'", NONE, "summary"),
    ("What's the gist of the Mamba paper?", NONE, "summary"),
    ("Explain Mamba in simple terms", NONE, "summary"),
    ("Give me the key takeaways of LinFusion", NONE, "summary"),
    ("Briefly describe the KAN paper", NONE, "summary"),
    ("Mamba in a nutshell?", NONE, "summary"),
    ("Can you give me an overview of the Mamba paper?", NONE, "summary"),  # one paper, not a topic
    ("tell me about the paper on looped transformers", NONE, "summary"),
    ("Tell me about the papers on looped transformers", NONE, "list"),
    ("Give me an overview of the papers on state space models", NONE, "overview"),
    ("Give me a reading list on graph neural networks", NONE, "list"),
    # overview
    ("Write an overview of linear attention", NONE, "overview"),
    ("Give me a literature review on state space models", NONE, "overview"),
    ("survey of quantization methods", NONE, "overview"),
    ("Write a cited report on offline reinforcement learning", NONE, "overview"),
    ("Write a cited literature overview of efficient attention", NONE, "overview"),
    ("Overview of papers comparing Mamba vs Transformers", NONE, "overview"),
    ("Survey the work on continual learning in the corpus", NONE, "overview"),
    # compare
    ("Compare Mamba and HiPPO", NONE, "compare"),
    ("please contrast GLU variants with Swish", NONE, "compare"),
    ("Mamba vs HiPPO", NONE, "compare"),
    ("Mamba versus S4 on long sequences", NONE, "compare"),
    ("What are the differences between LinFusion and LiT?", NONE, "compare"),
    ("How does Agent Attention differ from HyperAttention?", NONE, "compare"),
    ("LinFusion compared to LiT", NONE, "compare"),
    ("Compare the papers by Tri Dao", DAO, "compare"),
    ("Which is faster, Mamba or HiPPO?", NONE, "compare"),
    ("Which of the two performs better on ImageNet, LinFusion or LiT?", NONE, "compare"),
    ("Which is faster on long sequences: Mamba or a Transformer of the same size?", NONE, "compare"),
    ("Mamba or S4 - which is faster?", NONE, "compare"),
    ("Kronecker products or tensor decompositions - which papers use them?", NONE, "list"),
    ("LinFusion or LiT, which one needs less compute?", NONE, "compare"),
    ("Is Mamba faster than attention or not? Which benchmarks show it?", NONE, "fact"),
    # one paper's record is a fact, however the request opens; the authors of many papers are a list's matter
    ("List the authors of the DNABERT-2 paper.", NONE, "fact"),
    ("anything like LambdaNetworks?", NONE, "list"),
    ("explain how SelfCheck works", NONE, "fact"),  # the chain makes it a summary when SelfCheck names a paper
    ("Which papers explain how transformers work?", NONE, "list"),
    ("What else is similar to Mamba?", NONE, "list"),
    ("generative classifiers, or generative vs. discriminative classification - which papers?", NONE, "list"),
    ("Which papers compare Mamba vs Transformers on long sequences?", NONE, "list"),
    ("What are the main approaches to efficient attention in this corpus?", NONE, "overview"),
    ("Which different techniques for model compression do the papers use?", NONE, "overview"),
    ("Can you give me the publication year of Mamba?", NONE, "fact"),
    ("List the authors of papers on diffusion models", NONE, "list"),
    ("Is there research that attacks watermarks of language models?", NONE, "list"),
    ("does anything here study optimal transport? which ones?", NONE, "list"),
    ("Is there anything here that explains the Adam optimizer?", NONE, "fact"),
]


@pytest.mark.parametrize(("question", "facts", "kind"), CASES, ids=[c[0] for c in CASES])
def test_route(question: str, facts: QueryFacts, kind: str) -> None:
    assert route(question, facts) == kind


def test_every_kind_is_covered() -> None:
    assert {kind for _, _, kind in CASES} == {"fact", "list", "author", "summary", "overview", "compare"}


def test_eval_questions_route_to_their_labelled_kind() -> None:
    """The answer eval set labels each question's kind; the router agrees on all of them."""
    path = Path(__file__).resolve().parents[2] / "evals" / "questions" / "answers.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    kinds = {"fact", "list", "summary", "overview", "compare"}  # author questions need the catalog to read names
    wrong = [(r["question"], r["kind"], route(r["question"], NONE)) for r in rows if r.get("kind") in kinds
             and route(r["question"], NONE) != r["kind"]]
    assert not wrong


@pytest.mark.parametrize("question, bare", [
    ("ML for molecules and materials?", True),
    ("group equivariant neural networks", True),
    ("zero bubble pipline paralelism paper", False),  # one paper
    ("LiT FID on ImageNet?", False),  # a number asked for
    ("How does Mamba work?", False),
    ("What about diffusion models for video?", True),  # with no conversation: the topic asked about
    ("What about the FID of LiT?", False),
    ("What speedup does HyperAttention report compared with FlashAttention?", False),
])
def test_bare_topic_is_a_short_phrase_with_no_question_in_it(question: str, bare: bool) -> None:
    assert bare_topic(question) is bare


@pytest.mark.parametrize("question, name", [
    ("explain pLSTM to me in a few sentences", "pLSTM"),
    ("what is AuON?", "AuON"),
    ("Describe the Mamba paper", "Mamba"),
    ("What is HiPPO's accuracy on Path-X?", None),  # asks for a number in it
    ("Explain how Mamba selects what to remember", None),
    ("explain how SelfCheck works", "SelfCheck"),  # "works" is the verb here, no list cue
    ("how does Lipsum-FT work?", "Lipsum-FT"),
])
def test_explained_name_is_what_an_explain_question_is_about(question: str, name: str | None) -> None:
    assert explained_name(question) == name
