//! Gate evaluators: pure functions from agent summaries (plus caller-checked file presence and
//! wave data) to upstream v0.9.1's gate results and status codes, and the wave outcome rules
//! built on them (forwardable closure gaps, exit codes 1 / 42 / 43).

pub mod closure;
pub mod implementation;
pub mod outcome;
pub mod status;

#[cfg(test)]
mod tests;

pub use closure::{
    apply_closure_proof_gap, cont_eval_gate, cont_qa_gate, design_gate, documentation_gate,
    integration_gate, security_gate, validate_cont_eval, validate_cont_qa, validate_design,
    validate_documentation, validate_integration, validate_security, ContEvalInput,
    ResolvedEvalTarget, RoleRun,
};
pub use implementation::{
    check_owned_components, component_gate, component_matrix_gate, implementation_gate,
    validate_implementation, ComponentAgent, ComponentGateInput, ImplementationSpec,
    ProofArtifactRequirement,
};
pub use outcome::{
    failed_wave_exit_code, failure_exit_code, is_forwardable, is_forwardable_code,
    recoverable_reason, FailureFacts, RecoveryReason, EXIT_BLOCKED, EXIT_CONT_QA, EXIT_FAILED,
    EXIT_LOCK_HELD,
};
pub use status::{GateResult, GateStatus};
