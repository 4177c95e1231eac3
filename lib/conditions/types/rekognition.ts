import { comparisonParameterNames, compileComparisons, type NumberTest } from '../comparison';
import type { ConditionType } from '../condition-type';
import { aNumberIn, aString, optional, required } from '../parameters';
import { serviceField } from '../service-fields';

// Rekognition's confidences are percentages: a threshold outside 0–100 would make a condition that is always or never true.
const confidenceParameters = Object.fromEntries(comparisonParameterNames('Confidence').map((name) => [name, optional(aNumberIn(0, 100))]));

/**
 * On a Rekognition DetectModerationLabels response (or A2I's camelCase echo of one): true when a label named exactly `ModerationLabelName`
 * (case-sensitive; `*` for any label) has a Confidence satisfying every comparison given.
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
      const labels = serviceField(record, 'ModerationLabels');
      if (!Array.isArray(labels)) return false;
      return labels.some((label) => {
        if (!anyLabel && serviceField(label, 'Name') !== name) return false;
        const confidence = serviceField(label, 'Confidence');
        return typeof confidence === 'number' && test(confidence);
      });
    };
  },
};
