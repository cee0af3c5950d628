"""Post-hoc attribution of uncited answer sentences to the source their words come from."""

from __future__ import annotations

from assistant.attribution import attribute, best_source, fix_subject_keys, prune_keys

LAMBDA = ("LambdaNetworks: Modeling Long-Range Interactions Without Attention\nLambdaResNets reach excellent "
          "accuracies on ImageNet while being 3.2 - 4.4x faster than the popular EfficientNets on modern machine "
          "learning accelerators.")
LINEAR = ("Transformers are RNNs: Fast Autoregressive Transformers with Linear Attention\nOur linear transformers "
          "achieve similar performance to vanilla transformers and they are up to 4000x faster on autoregressive "
          "prediction of very long sequences.")
SOURCES = [LAMBDA, LINEAR]


def test_a_number_from_one_source_gets_that_key() -> None:
    assert attribute("4.4x faster", SOURCES) == "4.4x faster [S1]"
    assert attribute("They are up to 4000x faster.", SOURCES) == "They are up to 4000x faster [S2]."


def test_each_uncited_sentence_is_attributed_on_its_own_and_the_text_is_kept() -> None:
    raw = "LambdaResNets are 3.2 - 4.4x faster than EfficientNets. Linear transformers are up to 4000x faster [S2].\n\nDone."
    assert attribute(raw, SOURCES) == ("LambdaResNets are 3.2 - 4.4x faster than EfficientNets [S1]. "
                                       "Linear transformers are up to 4000x faster [S2].\n\nDone.")


def test_a_number_that_no_source_has_stays_uncited() -> None:
    assert attribute("LambdaResNets are 12x faster than EfficientNets.", SOURCES) == \
        "LambdaResNets are 12x faster than EfficientNets."


def test_general_knowledge_stays_uncited() -> None:
    """The recorded uncited answer about linear attention uses words of no source in particular."""
    raw = ("Linear attention is a type of attention mechanism that uses linear transformations to capture "
           "interactions between input and contextual information.")
    assert attribute(raw, SOURCES) == raw


def test_a_sentence_two_sources_support_equally_is_not_guessed() -> None:
    twins = ["Paper A\nThe method is faster on long sequences.", "Paper B\nThe method is faster on long sequences."]
    assert best_source("The method is faster on long sequences.", twins) is None
    assert best_source("The method is faster on long sequences.", twins[:1]) == 0


def test_a_too_short_sentence_is_left_alone() -> None:
    assert best_source("Yes.", SOURCES) is None


def test_unsupported_names_are_those_no_source_or_question_gives() -> None:
    from assistant.attribution import unsupported_names
    assert unsupported_names("LambdaResNets beat EfficientNets on ImageNet [S1].", SOURCES) == []
    # a name made up inside a sentence, and an acronym: both flagged; matching is case-blind
    assert unsupported_names("It is trained on the Common Voice corpus [S1] and scores 30 BLEU.", SOURCES) == \
        ["BLEU", "Common", "Voice"]
    assert unsupported_names("They use Linear Attention [S2].", SOURCES) == []
    assert unsupported_names("Is it better than Performer? No, Performer is slower [S2].", SOURCES, "vs Performer?") == []
    # a capital that opens a sentence, a line or a list item is no name; nor are keys and Markdown
    assert unsupported_names("Yes. Faster models:\n- Quite fast [S1].\n**Transformers** [S2]", SOURCES) == []
    assert unsupported_names("NOT COVERED", SOURCES) == []


def test_unsupported_numbers_are_those_no_source_or_question_gives() -> None:
    from assistant.attribution import unsupported_numbers

    assert unsupported_numbers("LambdaResNets are 4.4x faster [S1].", SOURCES) == []
    assert unsupported_numbers("They are 12x faster [S1] and up to 4000x [S2].", SOURCES) == ["12"]
    assert unsupported_numbers("In 2 steps it is 12x faster [S1].", SOURCES, "Is it 12x faster?") == []  # one digit: no claim
    assert unsupported_numbers("It saves 10,000 GPU hours [S1].", ["It saves 10000 GPU hours."]) == []


def test_a_sentence_citing_a_source_without_its_numbers_moves_to_the_one_source_with_them() -> None:
    from assistant.attribution import rekey

    assert rekey("LambdaResNets are 3.2 - 4.4x faster [S2]. Linear ones are 4000x faster [S2].", SOURCES) == \
        "LambdaResNets are 3.2 - 4.4x faster [S1]. Linear ones are 4000x faster [S2]."
    assert rekey("It is 12x faster [S2].", SOURCES) == "It is 12x faster [S2]."  # no source has 12: left to the check
    assert rekey("The 4000x claim [S1].", SOURCES, "Is it 4000x faster?") == "The 4000x claim [S1]."  # asked, not stated


def test_an_extra_key_on_a_sentence_one_source_holds_is_dropped() -> None:
    sources = ["Efficient Parametric Approximations\nThe Linearized Activation Function TRick (LAFTR) needs only one "
               "parameter per unit of the network.",
               "Deep Learning using ReLU\nWe use rectified linear units in deep networks as the classification function."]
    question = "how many parameters per unit does the linearized-activation trick for two relu networks need?"
    raw = "The linearized-activation trick for two ReLU networks needs only one parameter per unit [S1][S2]."
    assert prune_keys(raw, sources, question) == "The linearized-activation trick for two ReLU networks needs only one parameter per unit [S1]."


def test_keys_of_a_sentence_both_sources_support_are_kept() -> None:
    sources = ["A\nMamba is a selective state space model with linear-time scaling.",
               "B\nHiPPO gives state space models long memory through polynomial projections."]
    raw = "State space models such as Mamba and HiPPO give linear-time scaling and long memory [S1][S2]."
    assert prune_keys(raw, sources) == raw


def test_a_sentence_citing_a_source_without_its_words_moves_to_the_one_source_with_them() -> None:
    """m6-28: a sentence copied from the reasoning paper was keyed to the spectral-algorithms paper."""
    from assistant.attribution import rekey

    sources = ["Learning to Reason with Neural Networks\nGradient descent tends to have an implicit bias towards "
               "low-degree representations, which gives the Boolean influence for the generalization error.",
               "Generalization error of spectral algorithms\nWe study kernel ridge regression and gradient flow."]
    moved = "GD has an implicit bias towards low-degree representations, giving the Boolean influence [S2]."
    assert rekey(moved, sources, "What characterizes the generalization error?") == moved.replace("[S2]", "[S1]")
    shared = "Both study the generalization error of gradient descent [S2]."  # words of both: left as cited
    assert rekey(shared, sources) == shared


def test_a_comparison_clause_keyed_to_the_other_paper_is_moved_to_the_one_it_describes() -> None:
    """The model wrote "[S1] presents a framework that integrates DRL with classical planning ..., while [S2]
    proposes ... logical rules and Theory of Mind": each clause describes the other paper."""
    sources = ["Enhancing Human-AI Collaboration. We present a framework that integrates logical rules and Theory of "
               "Mind (ToM) for human-robot perception and collaboration.",
               "Integrating Planning and DRL. We propose a framework that integrates DRL with classical planning by "
               "automatically inducing task structures and substructures from a few demonstrations."]
    swapped = ("The key difference is the approach. [S1] presents a framework that integrates DRL with classical planning "
               "by automatically inducing task structures, while [S2] proposes a framework that leverages logical rules "
               "and Theory of Mind (ToM).")
    fixed = fix_subject_keys(swapped, sources)
    assert "[S2] presents a framework that integrates DRL" in fixed and "[S1] proposes a framework that leverages" in fixed
    right = fixed
    assert fix_subject_keys(right, sources) == right  # clauses keyed to the papers they describe stay as they are
    trailing = "Both integrate planning with learning [S1]. They differ in data [S2]."
    assert fix_subject_keys(trailing, sources) == trailing  # a key that closes a sentence is no clause's subject
