"""Prompt styles: how a dataset question becomes the chat messages a provider sends to its model.

A prompt style is part of a provider's decoding recipe (docs/contracts.md, ``prompt:`` key). The
style only builds chat messages; the engine renders them with the model's own chat template
(``Engine.chat_prompt``), so the same style works for any instruct model.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "PromptStyle",
    "PROMPT_STYLES",
    "get_prompt_style",
    "build_messages",
    "dataset_prompt_style",
    "gpqa_prompt",
    "GPQA_INSTRUCTION",
    "OPTION_LETTERS",
]

# GPQA's four options are shown as "A) ...", "B) ...", ... (the verifier reads the letter back).
OPTION_LETTERS = "ABCD"

# The reference implementation's GPQA instruction (the paper's grid; docs/gpu.md), verbatim.
GPQA_INSTRUCTION = (
    "Answer the following multiple choice question. The last line of your response should be of the "
    "following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. "
    "Think step by step before answering."
)


@dataclass(frozen=True)
class PromptStyle:
    """One way of asking a question.

    ``user_template`` must contain ``{question}``. ``system`` replaces the chat template's default
    system message when given. ``assistant_prefix`` pre-fills the assistant turn (the paper's
    reasoning prompt starts it with ``<think>\\n``).
    """

    id: str
    user_template: str
    system: str | None = None
    assistant_prefix: str = ""
    reasoning: bool = False  # samples hold <think>...</think>; count their reasoning tokens
    description: str = ""

    def __post_init__(self) -> None:
        if "{question}" not in self.user_template:
            raise ValueError(f"prompt style {self.id!r}: user_template lacks '{{question}}'")


PROMPT_STYLES: dict[str, PromptStyle] = {
    s.id: s
    for s in (
        PromptStyle(
            id="direct",
            user_template="{question} Reply with only the number.",
            description="Ask for the bare number: the cheapest answers (a few tokens).",
        ),
        PromptStyle(
            id="equation",
            user_template="{question} Reply with the equation and its result, like 2 + 2 = 4.",
            description="Ask for the whole equation: longer answers than direct, lower accuracy.",
        ),
        PromptStyle(
            id="answer-is",
            user_template='{question} End your reply with "The answer is N." where N is a number.',
            description="Ask for a short sentence ending in a fixed phrase: more tokens per answer.",
        ),
        PromptStyle(
            id="boxed",
            user_template="{question}\nPlease reason step by step, and put your final answer within \\boxed{{}}.",
            description="The paper's prompt for non-reasoning models on GSM8K and AIME.",
        ),
        PromptStyle(
            id="plain",
            user_template="{question}",
            description="The question as the dataset wrote it, nothing added: the paper's GPQA prompt for "
            "non-reasoning models (the GPQA loader's question already holds the instruction and the options).",
        ),
        PromptStyle(
            id="think",
            user_template="{question}",
            assistant_prefix="<think>\n",
            reasoning=True,
            description="The paper's prompt for reasoning models: the assistant turn starts with <think>.",
        ),
    )
}


def get_prompt_style(style_id: str) -> PromptStyle:
    """Look a prompt style up by id, with an error listing the known ones."""
    try:
        return PROMPT_STYLES[style_id]
    except KeyError:
        raise KeyError(f"unknown prompt style {style_id!r}; known: {', '.join(sorted(PROMPT_STYLES))}") from None


def build_messages(question: str, style: PromptStyle) -> list[dict[str, str]]:
    """Chat messages for ``question`` in ``style`` (system message only when the style sets one)."""
    messages = []
    if style.system is not None:
        messages.append({"role": "system", "content": style.system})
    messages.append({"role": "user", "content": style.user_template.format(question=question)})
    return messages


def dataset_prompt_style(style_id: str, dataset_prompts: dict[str, str] | None) -> str:
    """The prompt style a provider of style ``style_id`` uses on a dataset whose ``prompts`` key is
    ``dataset_prompts`` (provider style -> style on this dataset; unlisted styles are kept).

    The paper asks GSM8K and AIME with the boxed prompt and GPQA with its own instruction, while a
    provider has one recipe for all datasets: ``config/paper.yaml`` gives GPQA ``prompts: {boxed:
    plain}``. A reasoning style must stay a reasoning style (its samples' think blocks are counted).
    """
    target = (dataset_prompts or {}).get(style_id, style_id)
    source_style, target_style = get_prompt_style(style_id), get_prompt_style(target)
    if source_style.reasoning != target_style.reasoning:
        raise ValueError(
            f"prompt style {style_id!r} maps to {target!r}: a reasoning style must map to a reasoning style and back"
        )
    return target


def gpqa_prompt(question: str, options: list[str], letters: str = OPTION_LETTERS) -> str:
    """The reference's GPQA user prompt: the instruction, a blank line, the question, a blank line,
    then one "X) option" line per option; the whole text stripped, the parts left as the dataset
    wrote them (the reference cleaned nothing). E.g.::

        Answer the following multiple choice question. [...] Think step by step before answering.

        What is 2 + 2?

        A) 3
        B) 4
    """
    if not 2 <= len(options) <= len(letters):
        raise ValueError(f"expected 2 to {len(letters)} options, got {len(options)}")
    lines = "\n".join(f"{letter}) {option}" for letter, option in zip(letters, options))
    return f"{GPQA_INSTRUCTION}\n\n{question}\n\n{lines}".strip()
