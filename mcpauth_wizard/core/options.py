"""The global options every command gets (profile, region, endpoint, verbosity, --yes,
--no-input, --allow-breaking), and the decorator that passes them: commands import this,
never the command line itself (no circle between cli.py and commands/)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

import click


@dataclass
class Options:
    """Global options, shared by every command."""

    profile: str | None
    region: str | None
    endpoint_url: str | None
    verbose: int
    yes: bool
    no_input: bool
    allow_breaking: bool = False  # --allow-breaking: consent to changes that take access away

    @property
    def interactive(self) -> bool:
        """May we ask questions? Never without a terminal, in CI, or with --no-input."""
        return not self.no_input and sys.stdin.isatty() and os.environ.get("CI") != "true"

    def project(self) -> Any:
        """mcpauth.toml of the current folder (read each time: commands may rewrite it)."""
        from mcpauth_wizard.core.project import load_project

        return load_project()

    def aws(self) -> Any:
        from mcpauth_wizard.aws.session import AwsContext

        project = self.project()
        context = AwsContext(
            profile=self.profile or project.profile,
            region=self.region or project.region or os.environ.get("AWS_REGION") or None,
            endpoint_url=self.endpoint_url,
        )
        if self.verbose:
            from mcpauth_wizard.core import console

            context.call_observers.append(
                lambda service, op, _: console.err.print(f"[dim]aws {service} {op}[/]")
            )
        return context

    def confirm(self, question: str, *, default: bool = False) -> bool:
        """Yes with --yes; the answer when interactive; otherwise no."""
        if self.yes:
            return True
        if not self.interactive:
            return False
        import questionary

        # auto_enter=False: `y` then Enter answers this question; the Enter does not fall
        # through to the next one as an empty answer
        answer = questionary.confirm(question, default=default, auto_enter=False).ask()
        if answer is None:  # Ctrl-C
            raise KeyboardInterrupt
        return bool(answer)

    def confirm_by_typing(self, question: str, expected: str, *, tries: int = 3) -> bool:
        """Consent to a change that takes access away: the user types `expected`. An empty
        answer asks again (a stray Enter is not a No); a wrong one says why, `tries` times."""
        if not self.interactive:
            return False
        import questionary

        from mcpauth_wizard.core import console

        wrong = 0
        while wrong < tries:
            answer = questionary.text(question).ask()
            if answer is None:  # Ctrl-C
                raise KeyboardInterrupt
            if answer.strip() == expected:
                return True
            if answer.strip():
                wrong += 1
                left = tries - wrong
                console.err.print(f"{answer.strip()!r} is not {expected!r}" + (
                    f"; type the name exactly ({left} more {'try' if left == 1 else 'tries'}; "
                    "Ctrl-C stops)" if left else ""), soft_wrap=True, markup=False)
        return False


pass_options_only = click.make_pass_decorator(Options)


def _late_global(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """A global option given after the command name (`add-callback chatgpt --yes`)."""
    if value:
        setattr(ctx.find_object(Options), param.name, value)


_LATE_GLOBALS = [  # (the long name, the option)
    ("--profile", click.option("--profile", expose_value=False, callback=_late_global,
                               help="AWS profile.")),
    ("--region", click.option("--region", expose_value=False, callback=_late_global,
                              help="AWS region.")),
    ("--endpoint-url", click.option("--endpoint-url", expose_value=False, callback=_late_global,
                                    help="Send AWS calls here (e.g. the sandbox).")),
    ("--verbose", click.option("-v", "--verbose", count=True, expose_value=False,
                               callback=_late_global, help="Show every AWS call.")),
    ("--yes", click.option("-y", "--yes", is_flag=True, expose_value=False, callback=_late_global,
                           help="Answer yes to every confirmation.")),
    ("--no-input", click.option("--no-input", is_flag=True, expose_value=False,
                                callback=_late_global, help="Never prompt.")),
]


def pass_options(func: Any = None, *, own: tuple[str, ...] = ()) -> Any:
    """Pass the global Options; also accept the global flags after the command name, except
    those in `own`, which the command declares itself (`doctor --all --region R --region S`)."""
    def decorate(func: Any) -> Any:
        func = pass_options_only(func)
        for name, option in reversed(_LATE_GLOBALS):
            if name not in own:
                func = option(func)
        return func

    return decorate(func) if func is not None else decorate
