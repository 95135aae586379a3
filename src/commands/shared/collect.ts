/** commander's argParser for a repeatable option: `--param a --param b` gives ['a', 'b']. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
