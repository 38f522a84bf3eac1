/** Limits of the API contract (API.md). Engines and the HTTP layer both read them from here. */
export const LIMITS = {
  /** A stream id is 1 to this many UTF-8 bytes. */
  streamIdMaxBytes: 512,
  /** `events` + `metadata`, each as compact JSON: one DynamoDB item is capped at 400 KB. */
  changesetMaxBytes: 400_000,
  /**
   * Arrays and objects inside one event, or inside the metadata, nest at most this deep (a flat
   * object is 1): every reader of the stored JSON can then walk it without running out of stack.
   */
  nestingMaxDepth: 64,
  /** A request body above this is refused before it is read whole (1 MiB). */
  requestBodyMaxBytes: 1_048_576,
  /**
   * Lambda refuses a synchronous response larger than this: the bytes of the serialized response
   * object (for API Gateway, the proxy result, whose body travels as an escaped JSON string).
   */
  lambdaResponseMaxBytes: 6_291_556,
  /**
   * What the records of one page may take, measured as the proxy response carries them (UTF-8,
   * escaped, with their framing). The rest of the Lambda cap is headroom for the status, headers and
   * the page's own fields. A single changeset takes at most 2 × 400,000 bytes plus its framing, so
   * it always fits on a page of its own.
   */
  responseMaxBytes: 6_000_000,
  /** Changesets in one page of GET /streams/{id}/changesets. */
  pageMaxChangesets: 1_000,
  /** Events in one page of GET /streams/{id}/events. */
  pageMaxEvents: 1_000,
  /** Changesets listed in a 409 response. */
  forthcomingMaxChangesets: 100,
  /** GET /changesets `limit`: default and the cap. */
  globalDefaultLimit: 10,
  globalMaxLimit: 1_000,
  /** GET /changesets `wait`, seconds. */
  waitMaxSeconds: 20,
} as const;
