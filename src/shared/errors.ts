/**
 * An error that carries its meaning for callers: a stable machine-readable `code` and the
 * HTTP status it maps to. The API layer turns these into `{ error: { code, message } }`
 * bodies; the CLI prints the message and exits non-zero.
 */
export class LeadlineError extends Error {
  constructor(
    /** Stable identifier, e.g. `INVALID_PHONE_NUMBER`. */
    readonly code: string,
    message: string,
    /** HTTP status this error maps to. */
    readonly statusCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input from a caller (HTTP 400). */
export class ValidationError extends LeadlineError {
  constructor(message: string, code = 'VALIDATION_FAILED') {
    super(code, message, 400);
  }
}

/** The caller is not who they claim, or sent no credentials (HTTP 401). */
export class UnauthorizedError extends LeadlineError {
  constructor(message = 'A valid API key is required (Authorization: Bearer <key>).') {
    super('UNAUTHORIZED', message, 401);
  }
}

/** The caller is known but may not do this (HTTP 403). */
export class ForbiddenError extends LeadlineError {
  constructor(message: string, code = 'FORBIDDEN') {
    super(code, message, 403);
  }
}

/** The thing asked for does not exist (HTTP 404). */
export class NotFoundError extends LeadlineError {
  constructor(message: string, code = 'NOT_FOUND') {
    super(code, message, 404);
  }
}

/** Something the request needs from outside (a provider) is not available now (HTTP 503). */
export class ServiceUnavailableError extends LeadlineError {
  constructor(message: string, code = 'SERVICE_UNAVAILABLE') {
    super(code, message, 503);
  }
}

/** The request conflicts with the state of what it is about, e.g. a lead who opted out (HTTP 409). */
export class ConflictError extends LeadlineError {
  constructor(message: string, code = 'CONFLICT') {
    super(code, message, 409);
  }
}

/**
 * The caller must wait before trying again (HTTP 429); the API sends `retryAfterSeconds` as
 * the `Retry-After` header.
 */
export class TooManyRequestsError extends LeadlineError {
  constructor(
    message: string,
    /** Whole seconds until a new attempt can succeed, at least 1. */
    readonly retryAfterSeconds: number,
    code = 'TOO_MANY_AUTH_FAILURES',
  ) {
    super(code, message, 429);
  }
}

/** Configuration is missing or invalid; raised at start-up, before anything runs. */
export class ConfigurationError extends LeadlineError {
  constructor(message: string) {
    super('INVALID_CONFIGURATION', message, 500);
  }
}
