"""One answering strategy per question kind. Each yields text / Progress items and ends with an Answer.

Where the facts are metadata (an author's papers) or the structure is fixed (a comparison table), the
text is assembled deterministically from the records and only the prose asks the model, so lists are
complete and every line is cited. One module per kind; `abstracts` and `common` hold what several share.
"""

from __future__ import annotations

from typing import Callable, TYPE_CHECKING

from assistant.strategies.author import answer_author
from assistant.strategies.compare import answer_compare
from assistant.strategies.fact import answer_fact
from assistant.strategies.lists import answer_list
from assistant.strategies.overview import answer_overview
from assistant.strategies.summary import answer_summary, name_in_one_abstract

if TYPE_CHECKING:
    from assistant.chain import Chain, Run, Stream

__all__ = ["STRATEGIES", "name_in_one_abstract"]

STRATEGIES: dict[str, Callable[["Chain", "Run"], "Stream"]] = {
    "fact": answer_fact,
    "summary": answer_summary,
    "list": answer_list,
    "author": answer_author,
    "overview": answer_overview,
    "compare": answer_compare,
}
