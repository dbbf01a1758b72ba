"""Placeholder until the command is written."""


def register(sub, matrix_args, common_sim):  # noqa: ANN001, ANN201
    return None
