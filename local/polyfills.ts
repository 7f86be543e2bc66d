/**
 * Polyfills the embedded runtime needs on Node 20. Import this module before anything that uses
 * them; it only adds what is missing and never replaces a native implementation.
 *
 * - `Promise.withResolvers` (ES2024, native from Node 22): aws-local-stepfunctions 3.x calls it
 *   in every Task state to race the task against its timeout.
 */

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

// Typed loosely on purpose: declaring the ES2024 signature globally would clash with lib.es2024
// once the project's `lib` moves up.
const promiseConstructor = Promise as unknown as { withResolvers?: unknown };

if (typeof promiseConstructor.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    // As in the spec, `this` is the constructor, so subclasses get instances of themselves.
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

export {};
