/**
 * Errors the emulator answers with. Each carries the exception name the real service uses, so the SDK's
 * deserialiser builds the same exception class (`instanceof` works) and the AWS CLI prints the same code.
 * The HTTP status is the one botocore's model gives the shape (A2I runtime, restJson1); SageMaker's
 * shapes have none, and awsJson1_1 answers every client error with 400.
 */
export class ApiError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

// A2I runtime (sagemaker-a2i-runtime 2019-11-07): statuses from each shape's `error.httpStatusCode`.
export const validationException = (message: string) => new ApiError('ValidationException', message, 400);
export const resourceNotFoundException = (message: string) => new ApiError('ResourceNotFoundException', message, 404);
export const conflictException = (message: string) => new ApiError('ConflictException', message, 409);
export const internalServerException = (message: string) => new ApiError('InternalServerException', message, 500);

// SageMaker (2017-07-24): modelled names carry no "Exception" suffix; ValidationException is not modelled
// but is what the service sends for a constraint violation.
export const resourceNotFound = (message: string) => new ApiError('ResourceNotFound', message, 400);
export const resourceInUse = (message: string) => new ApiError('ResourceInUse', message, 400);

// Both services: Coral's framework errors, raised before an operation runs.
export const serializationException = (message: string) => new ApiError('SerializationException', message, 400);
export const unknownOperationException = (message: string) => new ApiError('UnknownOperationException', message, 400);
