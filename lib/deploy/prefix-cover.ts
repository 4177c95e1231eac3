/** A value to match: the whole `text`, or (`prefix`) anything that starts with it. */
export interface Match {
  text: string;
  prefix: boolean;
}

/**
 * The narrowest matches covering `matches` whose total `cost` fits `budget`: the matches as given while they
 * fit; else the two (in sorted order) sharing the longest start are replaced by a prefix match of that start,
 * again and again, until the total fits (at worst one prefix, possibly empty: everything). Whatever a given
 * match matches, some returned match matches too. Deterministic: the same input gives the same matches.
 */
export function coveringMatches(matches: Match[], budget: number, cost: (match: Match) => number): Match[] {
  let cover = normalise(matches);
  const total = () => cover.reduce((sum, match) => sum + cost(match), 0);
  while (cover.length > 1 && total() > budget) {
    let best = 0;
    let bestLength = -1;
    for (let index = 0; index + 1 < cover.length; index++) {
      const length = commonStart(cover[index].text, cover[index + 1].text).length;
      if (length > bestLength) {
        best = index;
        bestLength = length;
      }
    }
    const merged: Match = { text: cover[best].text.slice(0, bestLength), prefix: true };
    cover = normalise([...cover.slice(0, best), merged, ...cover.slice(best + 2)]);
  }
  return cover;
}

/** Sorted, without duplicates and without matches another prefix match already covers. */
function normalise(matches: Match[]): Match[] {
  const sorted = [...matches].sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : Number(b.prefix) - Number(a.prefix)));
  const kept: Match[] = [];
  for (const match of sorted) {
    const covered = kept.some((other) => (other.prefix ? match.text.startsWith(other.text) : !match.prefix && other.text === match.text));
    if (!covered) kept.push(match);
  }
  return kept;
}

function commonStart(a: string, b: string): string {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length++;
  return a.slice(0, length);
}

/** Whether `value` is matched by one of `matches`. */
export const isCovered = (value: string, matches: Match[]): boolean => matches.some((match) => (match.prefix ? value.startsWith(match.text) : value === match.text));
