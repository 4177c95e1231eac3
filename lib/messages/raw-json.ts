/**
 * A JSON value carried as its text. Ingest already holds each record as read and each decision's JSON
 * (cached per result pattern): messages carry those instead of the parsed objects, so the objects die young
 * and are never serialised again. JSON.stringify still sees the value itself (toJSON).
 */
export class RawJson {
  constructor(readonly text: string) {}

  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/** The JSON text of a value that may be carried raw. */
export const jsonOf = (value: unknown): string => (value instanceof RawJson ? value.text : JSON.stringify(value));
