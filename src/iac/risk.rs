//! Risk notes on planned changes: deletes and replaces of stateful resources
//! lose data, replaces without create-before-destroy leave a gap, changes
//! to access control deserve a second pair of eyes.

use super::plan::{ChangeAction, ResourceChange};
use crate::core::iac::plan::replace_detail;
pub use crate::core::iac::plan::{RiskLevel, RiskNote};

/// Resource types whose destruction loses data.
const STATEFUL: &[&str] = &[
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_s3_bucket",
    "aws_dynamodb_table",
    "aws_ebs_volume",
    "aws_efs_file_system",
    "aws_elasticache_cluster",
    "aws_elasticache_replication_group",
    "aws_elasticsearch_domain",
    "aws_opensearch_domain",
    "aws_docdb_cluster",
    "aws_neptune_cluster",
    "aws_redshift_cluster",
    "aws_msk_cluster",
    "aws_kinesis_stream",
    "aws_sqs_queue",
    "aws_kms_key",
    "aws_secretsmanager_secret",
    "google_sql_database_instance",
    "google_storage_bucket",
    "google_bigquery_dataset",
    "google_bigquery_table",
    "google_compute_disk",
    "google_spanner_instance",
    "azurerm_storage_account",
    "azurerm_mssql_database",
    "azurerm_postgresql_flexible_server",
    "azurerm_mysql_flexible_server",
    "azurerm_cosmosdb_account",
    "azurerm_managed_disk",
    "azurerm_key_vault",
    "kubernetes_persistent_volume",
    "kubernetes_persistent_volume_claim",
    "digitalocean_database_cluster",
    "digitalocean_volume",
];

/// Substrings of resource types that govern access.
const ACCESS: &[&str] = &[
    "security_group",
    "iam_",
    "firewall",
    "network_acl",
    "_policy",
];

/// Whether destroying a resource of this type loses data.
pub fn is_stateful(resource_type: &str) -> bool {
    STATEFUL.contains(&resource_type)
}

/// Risk notes for a list of changes, highest level first.
pub fn risk_notes(changes: &[ResourceChange]) -> Vec<RiskNote> {
    let mut notes = Vec::new();
    for c in changes.iter().filter(|c| c.mode == "managed") {
        let t = &c.resource_type;
        let note = match c.action {
            ChangeAction::Delete if is_stateful(t) => Some((
                RiskLevel::High,
                format!("deletes a stateful {t}: its data is lost unless restored from a backup"),
            )),
            ChangeAction::Replace if is_stateful(t) => Some((
                RiskLevel::High,
                format!(
                    "replaces a stateful {t}{}: the new one starts empty unless restored from a backup",
                    replace_detail(c)
                ),
            )),
            ChangeAction::Delete => Some((RiskLevel::Medium, format!("deletes a {t}"))),
            ChangeAction::Replace if c.create_before_destroy => Some((
                RiskLevel::Low,
                format!(
                    "replaces a {t} (create before destroy){}",
                    replace_detail(c)
                ),
            )),
            ChangeAction::Replace => Some((
                RiskLevel::Medium,
                format!(
                    "replaces a {t}, destroying it first{}: expect a gap in service",
                    replace_detail(c)
                ),
            )),
            ChangeAction::Update if ACCESS.iter().any(|a| t.contains(a)) => Some((
                RiskLevel::Medium,
                format!("changes access control ({t}): review who gains or loses access"),
            )),
            ChangeAction::Other => Some((
                RiskLevel::Medium,
                "unrecognised action list; review it with `terraform show`".to_string(),
            )),
            _ => None,
        };
        if let Some((level, message)) = note {
            notes.push(RiskNote {
                level,
                address: c.address.clone(),
                message,
            });
        }
    }
    notes.sort_by_key(|n| std::cmp::Reverse(n.level));
    notes
}
