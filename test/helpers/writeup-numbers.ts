/** Numbers in a Markdown write-up's prose: code spans (commands, paths, ids) and link targets are not figures; a sign is kept, a plus dropped. */
export function numbersIn(markdown: string): string[] {
  const prose = markdown.replace(/`[^`]*`/g, '').replace(/\]\([^)]*\)/g, ']');
  return [...prose.matchAll(/(?<![\w.-])[-+]?\d+(?:\.\d+)?%?(?![\w-])/g)].map((m) => m[0].replace(/^\+/, ''));
}
