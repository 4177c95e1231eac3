import type { ConditionType } from './condition-type';
import { expression, fieldConfidenceCheck, fieldValueCheck, missingField } from './types/generic';
import { moderationLabelConfidenceCheck } from './types/rekognition';
import { sampling } from './types/sampling';
import { importantFormKeyConfidenceCheck, missingImportantFormKey } from './types/textract';

export const CONDITION_TYPES: ReadonlyMap<string, ConditionType> = new Map(
  [
    moderationLabelConfidenceCheck,
    importantFormKeyConfidenceCheck,
    missingImportantFormKey,
    sampling,
    fieldConfidenceCheck,
    fieldValueCheck,
    missingField,
    expression,
  ].map((type) => [type.name, type]),
);
