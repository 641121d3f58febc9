/**
 * Declarative input constraints, in the vocabulary of the AWS service models (Smithy/botocore):
 * the generated files beside this one describe every operation's input with these.
 */
export type Shape = StringShape | NumberShape | BooleanShape | TimestampShape | StructureShape | ListShape | MapShape;

export interface StringShape {
  readonly type: 'string';
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly enum?: readonly string[];
}
export interface NumberShape {
  readonly type: 'integer' | 'long' | 'float' | 'double';
  readonly min?: number;
  readonly max?: number;
}
export interface BooleanShape {
  readonly type: 'boolean';
}
export interface TimestampShape {
  readonly type: 'timestamp';
}
export interface StructureShape {
  readonly type: 'structure';
  readonly members: Readonly<Record<string, Shape>>;
  readonly required?: readonly string[];
}
export interface ListShape {
  readonly type: 'list';
  readonly member: Shape;
  readonly min?: number;
  readonly max?: number;
}
export interface MapShape {
  readonly type: 'map';
  readonly key: Shape;
  readonly value: Shape;
  readonly min?: number;
  readonly max?: number;
}

export interface OperationShape {
  readonly path: string;
  readonly input: StructureShape;
}
export type OperationShapes = Readonly<Record<string, OperationShape>>;
