// OpenAI-shaped errors: {"error": {"message", "type", "param", "code"}} with a matching HTTP status.
export class ApiError extends Error {
    constructor(status, message, {type, code = null, param = null} = {}) {
        super(message);
        this.status = status;
        this.type = type ?? defaultType(status);
        this.code = code;
        this.param = param;
    }

    toJSON() {
        return {error: {message: this.message, type: this.type, param: this.param, code: this.code}};
    }
}

function defaultType(status) {
    if (status === 404) return "not_found_error";
    if (status === 503) return "server_overloaded";
    if (status >= 500) return "server_error";
    return "invalid_request_error";
}

export const badRequest = (message, param = null, code = "invalid_value") =>
    new ApiError(400, message, {param, code});
