"""How the API answers a send: the bodies ``sending`` gives now and remembers for a retry.

``smsgate.service.sending`` settles a message and stores the response under
its ``Idempotency-Key`` in the same transaction, so it asks its caller what
that response is (``sending.Answers``): here, a 202 with the
:class:`~smsgate.api.message_models.MessageAccepted` body, or the
problem+json document of the refusal with its status from the one table
(``smsgate.api.refusal_status``). Bodies are plain JSON values, as stored.
"""

from __future__ import annotations

from smsgate.api.bodies import to_builtins
from smsgate.api.message_models import MessageAccepted
from smsgate.api.problems import Problem
from smsgate.api.refusal_status import problem_of
from smsgate.service.refusals import Refusal
from smsgate.service.sending import SendAnswer
from smsgate.store import Message

ACCEPTED = 202


def problem_answer(problem: Problem) -> SendAnswer:
    """The answer of ``problem``: its status and its problem+json document (no ``instance``)."""
    return SendAnswer(problem.status, to_builtins(problem.body()))


class ProblemAnswers:
    """The API's ``sending.Answers``: 202 with the message, or the refusal's problem."""

    def accepted(self, message: Message, detail: str) -> SendAnswer:
        """202 with the message as stored; ``detail`` says why it waits, if it does."""
        return SendAnswer(ACCEPTED, to_builtins(MessageAccepted.of(message, detail)))

    def refused(self, refusal: Refusal) -> SendAnswer:
        """The refusal's problem document, with its status from the one table."""
        return problem_answer(problem_of(refusal))


ANSWERS = ProblemAnswers()
