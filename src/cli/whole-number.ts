import { InvalidArgumentError } from 'commander';

/**
 * A commander option parser for a whole number in `[min, max]`.
 * @throws InvalidArgumentError naming the range, which commander prints with the option.
 */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}
