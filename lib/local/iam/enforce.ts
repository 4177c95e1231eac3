import { accessDeniedMessage, accessDeniedResponse } from './access-denied';
import type { RoleAuthorizer } from './authorizer';
import { authorizationRequests, type CallEnvironment } from './requests';

/** A call a role did not allow. */
export interface AccessDenial {
  /** The role's logical id (`IngestS3ObjectRole`). */
  role: string;
  client: string;
  operation: string;
  action: string;
  resource: string;
  /** AWS's message, as the caller's error carries it. */
  message: string;
}

interface MiddlewareStackLike {
  add(middleware: unknown, options: { step: 'deserialize'; priority: 'low'; name: string }): void;
}

type Next = (args: { input: Record<string, unknown>; request?: unknown }) => Promise<unknown>;
interface HandlerContext {
  clientName?: string;
  commandName?: string;
}

export const ENFORCE_ROLE_MIDDLEWARE = 'a2iLocalEnforceRole';

/**
 * Holds every call the client sends to the authorizer's role before it leaves: a call the role does not
 * allow is answered, without reaching the emulator, with the 403 the service would send (so the client's own
 * deserializer throws what the real SDK throws). The middleware sits just inside the deserializer, below
 * the SDK's retry strategy, which then sees the 403 as AWS's answer. A call the table in requests.ts does not
 * know fails with UnmappedCallError: nothing passes unchecked.
 */
export function enforceRole<T extends { middlewareStack: unknown }>(client: T, authorizer: RoleAuthorizer, environment: CallEnvironment, onDenied?: (denial: AccessDenial) => void): T {
  (client.middlewareStack as MiddlewareStackLike).add(
    (next: Next, context: HandlerContext) => async (args: { input: Record<string, unknown>; request?: { method?: string } }) => {
      const clientName = context.clientName ?? '';
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      for (const request of await authorizationRequests({ client: clientName, operation, input: args.input }, environment)) {
        const decision = await authorizer.decide(request);
        if (decision.allowed) continue;
        const message = accessDeniedMessage(clientName, authorizer.identity, request, decision.explicitDeny);
        onDenied?.({ role: authorizer.identity.logicalId, client: clientName, operation, action: request.action, resource: request.resource, message });
        return { response: accessDeniedResponse(clientName, message, args.request?.method ?? 'POST'), output: undefined };
      }
      return next(args);
    },
    { step: 'deserialize', priority: 'low', name: ENFORCE_ROLE_MIDDLEWARE },
  );
  return client;
}
