import type { HumanAnswer, HumanLoopRecord } from './records';

const pad = (value: number) => String(value).padStart(2, '0');

/**
 * Where A2I writes a loop's output ("Amazon A2I Output Data"):
 * `<S3OutputPath>/<flow-definition-name>/YYYY/MM/DD/hh/mm/ss/<human-loop-name>/output.json`, the date parts
 * being the loop's creation time in UTC.
 */
export function outputS3Uri(loop: Pick<HumanLoopRecord, 's3OutputPath' | 'flowDefinitionName' | 'creationTime' | 'name'>): string {
  const created = new Date(loop.creationTime);
  const datePath = [created.getUTCFullYear(), pad(created.getUTCMonth() + 1), pad(created.getUTCDate()), pad(created.getUTCHours()), pad(created.getUTCMinutes()), pad(created.getUTCSeconds())].join('/');
  return `${loop.s3OutputPath.replace(/\/+$/, '')}/${loop.flowDefinitionName}/${datePath}/${loop.name}/output.json`;
}

/** output.json of a custom task type, keys in A2I's order; `inputContent` is the loop's input, parsed. */
export function outputDocument(loop: HumanLoopRecord, answers: HumanAnswer[]): string {
  return JSON.stringify({
    flowDefinitionArn: loop.flowDefinitionArn,
    humanAnswers: answers,
    humanLoopName: loop.name,
    inputContent: JSON.parse(loop.inputContent) as unknown,
  });
}
