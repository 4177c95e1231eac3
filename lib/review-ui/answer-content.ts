/**
 * How a submitted worker form becomes `answerContent`, exactly as A2I records it in output.json
 * (DESIGN.md §4, "Worker-template fidelity"). One object keyed by each element's `name`:
 *
 * | element                                   | FieldState kind    | answerContent[name]                                                  |
 * | ----------------------------------------- | ------------------ | -------------------------------------------------------------------- |
 * | crowd-input, crowd-text-area              | `text`             | `"the string"`                                                       |
 * | native input / select / textarea          | `text`             | `"the string"` (checkbox/radio only when checked)                    |
 * | crowd-checkbox (value defaults to "on")   | `checkbox`         | `{ [value]: true \| false }`; same-name boxes merge                  |
 * | crowd-radio-button (in crowd-radio-group) | `radio`            | `{ [value]: bool }`, every value of the group, the chosen one true   |
 * | crowd-toggle-button                       | `toggle`           | `{ "on": true \| false }`                                            |
 * | crowd-classifier                          | `classifier`       | `{ "label": "…" }`                                                   |
 * | crowd-classifier-multi-select             | `classifier-multi` | `{ "labels": ["…", …] }`                                             |
 * | crowd-bounding-box                        | `bounding-box`     | `{ "boundingBoxes": [{height,label,left,top,width}],                 |
 * |                                           |                    |    "inputImageProperties": {height,width} }`                         |
 *
 * Fields left empty are absent: an empty string, a classifier with no label, a multi-select with no
 * label. Checkboxes, radio buttons and toggles are always present (unchecked → false), and a bounding
 * box with no box drawn is present with `boundingBoxes: []` (an empty drawing is an answer).
 * When two fields share a name, the later one wins, except checkboxes and radio buttons, which merge.
 *
 * `answerContent` is embedded in the browser shims (crowd-elements.ts) through
 * `Function.prototype.toString`: it must stay self-contained (no imports, no helpers outside its body).
 */

export interface BoundingBox {
  height: number;
  label: string;
  left: number;
  top: number;
  width: number;
}

export type FieldState =
  | { kind: 'text'; name: string; value: string }
  | { kind: 'checkbox'; name: string; value?: string; checked: boolean }
  | { kind: 'radio'; name: string; value: string; checked: boolean }
  | { kind: 'toggle'; name: string; checked: boolean }
  | { kind: 'classifier'; name: string; label: string | null }
  | { kind: 'classifier-multi'; name: string; labels: string[] }
  | { kind: 'bounding-box'; name: string; boxes: BoundingBox[]; image: { height: number; width: number } };

/* istanbul ignore next -- embedded in the browser shims through toString(): coverage counters would break it there */
export function answerContent(fields: FieldState[]): Record<string, unknown> {
  const answer: Record<string, unknown> = {};
  const merged = (name: string): Record<string, boolean> => {
    const existing = answer[name];
    if (existing !== null && typeof existing === 'object' && !Array.isArray(existing)) {
      return existing as Record<string, boolean>;
    }
    const fresh: Record<string, boolean> = {};
    answer[name] = fresh;
    return fresh;
  };
  for (const field of fields) {
    if (!field.name) continue;
    switch (field.kind) {
      case 'text':
        if (field.value !== '') answer[field.name] = field.value;
        break;
      case 'checkbox':
        merged(field.name)[field.value === undefined || field.value === '' ? 'on' : field.value] = field.checked;
        break;
      case 'radio': {
        const group = merged(field.name);
        group[field.value] = field.checked || group[field.value] === true;
        break;
      }
      case 'toggle':
        answer[field.name] = { on: field.checked };
        break;
      case 'classifier':
        if (field.label !== null && field.label !== '') answer[field.name] = { label: field.label };
        break;
      case 'classifier-multi':
        if (field.labels.length > 0) answer[field.name] = { labels: field.labels.slice() };
        break;
      case 'bounding-box':
        answer[field.name] = {
          boundingBoxes: field.boxes.map((box) => ({
            height: box.height,
            label: box.label,
            left: box.left,
            top: box.top,
            width: box.width,
          })),
          inputImageProperties: { height: field.image.height, width: field.image.width },
        };
        break;
    }
  }
  return answer;
}
