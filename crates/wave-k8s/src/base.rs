//! The objects every wave's Job needs once per namespace: the workspace PersistentVolumeClaim
//! and the ServiceAccount the pods run as (with no API access granted; its token is not even
//! mounted). `wave k8s render --with-base` prints them before the Jobs; `k8s/` has the same
//! objects as a kustomize base.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, ServiceAccount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::params::{check_dns_subdomain, check_quantity};
use crate::K8sError;

/// `--storage` default.
pub const DEFAULT_STORAGE: &str = "20Gi";
/// `--access-mode` default: several nodes may mount the workspace (pods of later waves can
/// land anywhere). `ReadWriteOnce` works when every pod runs on one node.
pub const DEFAULT_ACCESS_MODE: &str = "ReadWriteMany";
/// The access modes accepted for the workspace claim.
pub const ACCESS_MODES: [&str; 3] = ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

/// The shared objects' parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseParams {
    /// The claim's name.
    pub pvc: String,
    /// The ServiceAccount's name.
    pub service_account: String,
    /// `metadata.namespace`, when set.
    pub namespace: Option<String>,
    /// Requested storage (a quantity).
    pub storage: String,
    /// `storageClassName`, when set (else the cluster default class).
    pub storage_class: Option<String>,
    /// One of [`ACCESS_MODES`].
    pub access_mode: String,
    /// Labels of both objects.
    pub labels: BTreeMap<String, String>,
}

impl BaseParams {
    fn validate(&self) -> Result<(), K8sError> {
        check_dns_subdomain("--pvc", &self.pvc)?;
        check_dns_subdomain("--service-account", &self.service_account)?;
        check_quantity("--storage", &self.storage)?;
        if let Some(class) = &self.storage_class {
            check_dns_subdomain("--storage-class", class)?;
        }
        if !ACCESS_MODES.contains(&self.access_mode.as_str()) {
            return Err(K8sError::Invalid {
                flag: "--access-mode".into(),
                message: format!(
                    "expected one of {}, got {:?}",
                    ACCESS_MODES.join(", "),
                    self.access_mode
                ),
            });
        }
        Ok(())
    }

    fn metadata(&self, name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.into()),
            namespace: self.namespace.clone(),
            labels: Some(self.labels.clone()),
            ..ObjectMeta::default()
        }
    }
}

/// The workspace claim: the repository, `.tmp/` and `.wave/` live on it.
pub fn persistent_volume_claim(params: &BaseParams) -> Result<PersistentVolumeClaim, K8sError> {
    params.validate()?;
    Ok(PersistentVolumeClaim {
        metadata: params.metadata(&params.pvc),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec![params.access_mode.clone()]),
            storage_class_name: params.storage_class.clone(),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity(params.storage.clone()),
                )])),
                limits: None,
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        status: None,
    })
}

/// The pods' ServiceAccount; no token is mounted by default.
pub fn service_account(params: &BaseParams) -> Result<ServiceAccount, K8sError> {
    params.validate()?;
    Ok(ServiceAccount {
        metadata: params.metadata(&params.service_account),
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> BaseParams {
        BaseParams {
            pvc: "wave-workspace".into(),
            service_account: "wave".into(),
            namespace: Some("agents".into()),
            storage: DEFAULT_STORAGE.into(),
            storage_class: None,
            access_mode: DEFAULT_ACCESS_MODE.into(),
            labels: BTreeMap::from([("app.kubernetes.io/name".into(), "wave".into())]),
        }
    }

    #[test]
    fn claim_and_account() {
        let pvc = persistent_volume_claim(&params()).unwrap();
        let spec = pvc.spec.unwrap();
        assert_eq!(spec.access_modes.unwrap(), ["ReadWriteMany"]);
        assert_eq!(
            spec.resources.unwrap().requests.unwrap()["storage"],
            Quantity("20Gi".into())
        );
        assert_eq!(pvc.metadata.namespace.as_deref(), Some("agents"));
        let sa = service_account(&params()).unwrap();
        assert_eq!(sa.metadata.name.as_deref(), Some("wave"));
        assert_eq!(sa.automount_service_account_token, Some(false));
    }

    #[test]
    fn bad_access_mode_names_the_flag() {
        let mut p = params();
        p.access_mode = "ReadOnlyMany".into();
        let err = persistent_volume_claim(&p).unwrap_err().to_string();
        assert!(err.starts_with("--access-mode: expected one of"), "{err}");
        let mut p = params();
        p.storage = "lots".into();
        assert!(service_account(&p)
            .unwrap_err()
            .to_string()
            .starts_with("--storage:"));
    }
}
