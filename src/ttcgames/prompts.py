"""Prompt styles: how a dataset question becomes the chat messages a provider sends to its model.

A prompt style is part of a provider's decoding recipe (docs/contracts.md, ``prompt:`` key). The
style only builds chat messages; the engine renders them with the model's own chat template
(``Engine.chat_prompt``), so the same style works for any instruct model.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PromptStyle", "PROMPT_STYLES", "get_prompt_style", "build_messages", "format_multiple_choice", "OPTION_LETTERS"]

# GPQA's four options are shown as "A) ...", "B) ...", ... (ttcgames.choices reads the letter back).
OPTION_LETTERS = "ABCD"


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
            description="The paper's prompt for non-reasoning models (GSM8K, AIME; GPQA with its lettered options).",
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


def format_multiple_choice(question: str, options: list[str], letters: str = OPTION_LETTERS) -> str:
    """A multiple-choice question as the model sees it: the question, a blank line, one "X) option" per line.

    GPQA's loader stores this text as the record's ``question``, so every prompt style (``boxed``,
    ``think``) and the reward model see the same lettered options, e.g.::

        What is 2 + 2?

        A) 3
        B) 4
    """
    if not 2 <= len(options) <= len(letters):
        raise ValueError(f"expected 2 to {len(letters)} options, got {len(options)}")
    lines = [f"{letter}) {option.strip()}" for letter, option in zip(letters, options)]
    return question.strip() + "\n\n" + "\n".join(lines)
