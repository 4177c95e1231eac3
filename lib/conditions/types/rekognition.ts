import { comparisonParameterNames, compileComparisons, type NumberTest } from '../comparison';
import { ConditionEvaluationError, type ConditionType, describeJsonType } from '../condition-type';
import { aNumberIn, aString, optional, required } from '../parameters';
import { isJsonObject, serviceEntry } from '../service-fields';

// Rekognition's confidences are percentages: a threshold outside 0–100 would make a condition that is always or never true.
const confidenceParameters = Object.fromEntries(comparisonParameterNames('Confidence').map((name) => [name, optional(aNumberIn(0, 100))]));

/**
 * On a Rekognition DetectModerationLabels response (or A2I's camelCase echo of one): true when a label named exactly `ModerationLabelName`
 * (case-sensitive; `*` for any label) has a Confidence satisfying every comparison given.
 *
 * No `ModerationLabels` at all is a response without labels (false), and a label without a `Name` is not the
 * named one. A `ModerationLabels` that is not a list, a label that is not an object, a `Name` that is not a
 * string (when a name is asked for), or a `Confidence` that is not a number (or is missing) on a label the
 * condition compares, cannot be evaluated (ConditionEvaluationError).
 * Every label is looked at, so the answer does not depend on where in the list a malformed one is.
 */
export const moderationLabelConfidenceCheck: ConditionType = {
  name: 'ModerationLabelConfidenceCheck',
  parameters: { ModerationLabelName: required(aString), ...confidenceParameters },
  validate: (parameters) =>
    compileComparisons('Confidence', parameters) ? [] : [`needs one of ${comparisonParameterNames('Confidence').join(', ')}`],
  compile(parameters) {
    const name = parameters.ModerationLabelName as string;
    const test = compileComparisons('Confidence', parameters) as NumberTest;
    const anyLabel = name === '*';
    return (record) => {
      const entry = serviceEntry(record, 'ModerationLabels');
      if (entry === undefined) return false;
      const [field, labels] = entry;
      if (!Array.isArray(labels)) throw new ConditionEvaluationError(`${field} is ${describeJsonType(labels)}, not a list`);
      let holds = false;
      for (let i = 0; i < labels.length; i++) {
        const label: unknown = labels[i];
        const at = `${field}[${i}]`;
        if (!isJsonObject(label)) throw new ConditionEvaluationError(`${at} is ${describeJsonType(label)}, not an object`);
        if (!anyLabel) {
          const labelName = serviceEntry(label, 'Name');
          if (labelName !== undefined && typeof labelName[1] !== 'string') {
            throw new ConditionEvaluationError(`${at}.${labelName[0]} is ${describeJsonType(labelName[1])}, not a string`);
          }
          if (labelName?.[1] !== name) continue;
        }
        const confidence = serviceEntry(label, 'Confidence');
        if (typeof confidence?.[1] !== 'number') {
          throw new ConditionEvaluationError(`${at}.${confidence?.[0] ?? 'Confidence'} is ${describeJsonType(confidence?.[1])}, not a number`);
        }
        if (test(confidence[1])) holds = true;
      }
      return holds;
    };
  },
};
