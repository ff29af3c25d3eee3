"""How `mcpauth init` asks: the Prompter protocol, the help line under each question, and
its two implementations (no terminal: a missing answer names its flag; a terminal:
questionary)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.provision import questions

# One line under each question, for someone who knows AWS but not OAuth (keyed by question;
# declared with the answers in questions.py).
HELP = questions.HELP
NEW = "__new__"
URL = "__url__"


@dataclass(frozen=True)
class Option:
    value: str
    title: str


class Prompter(Protocol):
    """How the wizard asks; `key` names the answer (scripted prompters use it)."""

    can_ask: bool  # False: never list AWS resources to choose from, fail on a missing answer

    def select(self, key: str, message: str, options: list[Option], default: str | None = None) -> str: ...
    def checkbox(self, key: str, message: str, options: list[Option], defaults: list[str],
                 required: bool = False) -> list[str]: ...
    def text(self, key: str, message: str, default: str = "",
             validate: Callable[[str], str | None] | None = None) -> str: ...
    def text_optional(self, key: str, message: str,
                      validate: Callable[[str], str | None] | None = None) -> str: ...
    def confirm(self, key: str, message: str, default: bool) -> bool: ...
    def say(self, message: str) -> None: ...
    def explain(self, key: str, help_line: str) -> None: ...  # the help line of the next question


class NoPrompter:
    """Non-interactive: a missing answer is bad input, named by its flag."""

    can_ask = False

    def _missing(self, key: str) -> Any:
        flag = questions.flag_for(key)
        raise BadInput(f"no answer for {key!r} and no terminal to ask: pass {flag} "
                       "(or put it in --config)")

    def select(self, key: str, message: str, options: list[Option], default: str | None = None) -> str:
        return default if default is not None else self._missing(key)

    def checkbox(self, key: str, message: str, options: list[Option], defaults: list[str],
                 required: bool = False) -> list[str]:
        return defaults

    def text(self, key: str, message: str, default: str = "",
             validate: Callable[[str], str | None] | None = None) -> str:
        return default if default else self._missing(key)

    def text_optional(self, key: str, message: str,
                      validate: Callable[[str], str | None] | None = None) -> str:
        return ""

    def confirm(self, key: str, message: str, default: bool) -> bool:
        return default

    def say(self, message: str) -> None:
        pass

    def explain(self, key: str, help_line: str) -> None:
        pass


def confirm_account(prompter: Prompter, account: str, region: str,
                    profile: str | None, *, caller: str = "",
                    endpoint: str | None = None) -> tuple[str, str | None] | None:
    """Step 1: None to go on with this account, else the (region, profile) to switch to."""
    from rich.markup import escape

    prompter.say(f"AWS account [bold]{account}[/], region [bold]{region}[/]")
    if caller:
        prompter.say(f"  as {escape(caller)}")
    if endpoint:
        prompter.say(f"  [yellow]endpoint {escape(endpoint)}: not AWS[/] (AWS_ENDPOINT_URL or "
                     "--endpoint-url)")
    if prompter.confirm("account", "Continue with this account and region?", True):
        return None
    new_region = prompter.text("region", "Region", region)
    new_profile = prompter.text_optional("profile", "Profile (empty: the default chain)") or profile
    return new_region, new_profile


class QuestionaryPrompter:
    """Real prompts in a terminal (questionary), each with its line of help under it."""

    can_ask = True
    SELECT_HINT = "(arrow keys, Enter)"
    FILTER_HINT = "(type to filter, arrow keys, Enter)"  # long lists: questionary's search filter
    CHECKBOX_HINT = "(arrow keys; space selects, a toggles all; Enter)"

    def __init__(self, say: Callable[[str], None]) -> None:
        import questionary

        self.q = questionary
        self._say = say
        self._help: dict[str, str] = {}

    def explain(self, key: str, help_line: str) -> None:
        self._help[key] = help_line

    def _line(self, key: str) -> str:
        """The question's help as questionary's instruction: on the line under the question."""
        text = self._help.pop(key, None) or HELP.get(key, "")
        return "\n  " + text.replace("\n", "\n  ") if text else ""

    def _ask(self, question: Any) -> Any:
        answer = question.ask()
        if answer is None:  # Ctrl-C / Esc
            raise KeyboardInterrupt
        return answer

    def select(self, key: str, message: str, options: list[Option], default: str | None = None) -> str:
        choices = [self.q.Choice(o.title, value=o.value) for o in options]
        chosen = next((c for c in choices if c.value == default), None)
        hint = self.FILTER_HINT if len(choices) > 8 else self.SELECT_HINT
        return self._ask(self.q.select(message, choices, default=chosen,
                                       instruction=hint + self._line(key),
                                       use_search_filter=len(choices) > 8, use_jk_keys=False))

    def checkbox(self, key: str, message: str, options: list[Option], defaults: list[str],
                 required: bool = False) -> list[str]:
        if not options:  # questionary cannot show an empty list (it fails on a missing pointer)
            return []
        help_line = self._line(key)
        while True:  # questionary's own validation message does not show in every terminal
            choices = [self.q.Choice(o.title, value=o.value, checked=o.value in defaults)
                       for o in options]
            chosen = list(self._ask(self.q.checkbox(message, choices,
                                                    instruction=self.CHECKBOX_HINT + help_line)))
            if chosen or not required:
                return chosen
            self._say("[yellow]pick at least one[/] (space selects, a toggles all)")

    def text(self, key: str, message: str, default: str = "",
             validate: Callable[[str], str | None] | None = None) -> str:
        def check(value: str) -> bool | str:
            if not value.strip():
                return "an answer is needed"
            problem = validate(value.strip()) if validate else None
            return problem or True

        return self._text(key, message, default, check)

    def text_optional(self, key: str, message: str,
                      validate: Callable[[str], str | None] | None = None) -> str:
        def check(value: str) -> bool | str:  # empty is an answer here; anything else is checked
            return True if not value.strip() or not validate else (validate(value.strip()) or True)

        return self._text(key, message, "", check)

    def _text(self, key: str, message: str, default: str, check: Callable[[str], bool | str]) -> str:
        line = self._line(key)  # the answer is typed on the line under the help
        return str(self._ask(self.q.text(message, default=default, validate=check,
                                         instruction=line + "\n " if line else None))).strip()

    def confirm(self, key: str, message: str, default: bool) -> bool:
        line = self._line(key)
        hint = "(Y/n)" if default else "(y/N)"
        return bool(self._ask(self.q.confirm(message, default=default, auto_enter=False,
                                             instruction=f"{line}\n  {hint} " if line else None)))

    def say(self, message: str) -> None:
        self._say(message)
