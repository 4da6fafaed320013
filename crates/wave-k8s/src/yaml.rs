//! Multi-document YAML: each object serialised on its own, joined by `---` lines, in the
//! order given (shared objects first, then Jobs by wave), so `kubectl apply -f -` creates the
//! claim and account before the pods that use them.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, ServiceAccount};

use crate::K8sError;

/// One object of a render.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    /// The ServiceAccount.
    ServiceAccount(Box<ServiceAccount>),
    /// The workspace claim.
    PersistentVolumeClaim(Box<PersistentVolumeClaim>),
    /// A wave's Job.
    Job(Box<Job>),
}

impl Document {
    fn to_yaml(&self) -> Result<String, serde_yaml_ng::Error> {
        // k8s-openapi's Serialize writes `apiVersion` and `kind` first.
        match self {
            Document::ServiceAccount(o) => serde_yaml_ng::to_string(o),
            Document::PersistentVolumeClaim(o) => serde_yaml_ng::to_string(o),
            Document::Job(o) => serde_yaml_ng::to_string(o),
        }
    }
}

/// The documents as one YAML stream: every document starts with `---`.
pub fn to_yaml_documents(documents: &[Document]) -> Result<String, K8sError> {
    let mut out = String::new();
    for document in documents {
        out.push_str("---\n");
        out.push_str(&document.to_yaml()?);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}
