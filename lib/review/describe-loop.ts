import { type DescribeHumanLoopCommandOutput, DescribeHumanLoopCommand, ResourceNotFoundException, type SageMakerA2IRuntimeClient } from '@aws-sdk/client-sagemaker-a2i-runtime';

/** DescribeHumanLoop, with a loop deleted underneath (ResourceNotFoundException) as `undefined`; other errors as thrown. */
export async function describeLoop(a2i: SageMakerA2IRuntimeClient, humanLoopName: string): Promise<DescribeHumanLoopCommandOutput | undefined> {
  try {
    return await a2i.send(new DescribeHumanLoopCommand({ HumanLoopName: humanLoopName }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}
