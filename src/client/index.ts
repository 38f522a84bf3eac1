/**
 * `elastic-event-store/client`: the typed client library for applications. It imports neither the
 * CLI nor the engines: only undici (and, for IAM targets, the SigV4 signer, loaded on demand).
 */
export { connect, type ConnectOptions } from './connect.js';
export { RemoteEventStore, type ChangesetFeed, type GlobalPage } from './remote-store.js';
export type {
  AppendOptions,
  AppendResult,
  Changeset,
  EventStoreClient,
  Expect,
  GlobalChangeset,
  ReadAllOptions,
  ReadStreamOptions,
  ReconnectNotice,
  RecordedEvent,
  StreamHeadInfo,
  SubscribeOptions,
} from './types.js';
export {
  ConflictError,
  ConsumerConflictError,
  EesError,
  InvalidRequestError,
  NotFoundError,
  OutcomeUnknownError,
  ServerError,
  UnauthorizedError,
  UnreachableError,
  isConflict,
  isConsumerConflict,
  isEesError,
  isInvalidRequest,
  isNotFound,
  isOutcomeUnknown,
  isServerError,
  isUnauthorized,
  isUnreachable,
  type ErrorCode,
} from './errors.js';
