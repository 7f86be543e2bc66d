/**
 * What the code may hand to a response whose schema's output type is `T`: the same shape, with
 * every property and array read-only, so the domain's `readonly` types fit it without a copy.
 * A use case that returns `Answer<z.output<typeof someSchema>>` cannot drift from the schema the
 * OpenAPI document is generated from: a field added, removed or retyped fails the type check.
 */
export type Answer<T> = T extends readonly (infer U)[]
  ? readonly Answer<U>[]
  : T extends object
    ? { readonly [K in keyof T]: Answer<T[K]> }
    : T;
