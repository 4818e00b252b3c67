"""API errors: every error answer is `{"error": code, "message": 中文, "details": [...]}`."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []

    def body(self) -> dict:
        return {"error": self.code, "message": self.message, "details": self.details}


def not_found(what: str = "申请") -> ApiError:
    return ApiError(404, "not_found", f"没有找到该{what}，请核对编号和手机号。")


def forbidden(message: str = "无权操作其他部门的事项。") -> ApiError:
    return ApiError(403, "forbidden", message)


def unauthorized(message: str = "请提供有效的访问令牌（Authorization: Bearer <token>）。") -> ApiError:
    return ApiError(401, "unauthorized", message)


def conflict(code: str, message: str, details: list | None = None) -> ApiError:
    return ApiError(409, code, message, details)


def invalid(details: list[dict], message: str | None = None) -> ApiError:
    return ApiError(422, "validation_failed",
                    message or f"提交的信息有{len(details)}处需要修改，请逐项核对。", details)
