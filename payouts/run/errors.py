"""What a payout run request can run into, each with the HTTP status that fits."""


class RunProblem(Exception):
    """The request does not fit the run's state; `status` is the HTTP status that fits."""

    status = 409

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class RunInvalid(RunProblem):
    status = 400


class RunNotFound(RunProblem):
    status = 404
