//! Rule-by-rule tests (one per rule, with its exact message).
