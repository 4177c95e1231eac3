import type { ConditionType } from '../condition-type';
import { aNumberIn, required } from '../parameters';
import { compileSampler } from '../sampling';

/** A2I: "a real number between 0.01 and 100"; the same input always gets the same answer. */
export const sampling: ConditionType = {
  name: 'Sampling',
  parameters: { RandomSamplingPercentage: required(aNumberIn(0.01, 100)) },
  compile(parameters, location) {
    const sampled = compileSampler(location, parameters.RandomSamplingPercentage as number);
    return (_record, context) => sampled(context.identity());
  },
};
