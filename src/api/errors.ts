/** The only mapping from errors to HTTP: BmnetError → its status and a NeutronError body; anything else → 500. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { BmnetError } from '../domain/errors.ts';
import type { Logger } from '../logging.ts';

export function neutronError(type: string, message: string) {
  return { NeutronError: { type, message, detail: '' } };
}

export function replyError(err: unknown, req: FastifyRequest, reply: FastifyReply, log: Logger): FastifyReply {
  if (err instanceof BmnetError) {
    return reply.code(err.status).send(neutronError(err.name, err.message));
  }
  const fe = err as Partial<FastifyError>;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply.code(413).send(neutronError('RequestEntityTooLarge', `Request is too large: ${fe.message ?? ''}`));
  }
  if (
    fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    err instanceof SyntaxError
  ) {
    return reply
      .code(400)
      .send(neutronError('MalformedRequestBody', `Malformed request body: ${fe.message ?? 'invalid JSON'}.`));
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return reply.code(fe.statusCode).send(neutronError('HTTPBadRequest', fe.message ?? 'Bad request'));
  }
  log.error({ err, reqId: req.id, url: req.url }, 'request failed');
  return reply
    .code(500)
    .send(
      neutronError('HTTPInternalServerError', 'Request Failed: internal server error while processing your request.'),
    );
}
