//! How one platform's image changes: its layers and the parts of its config that decide how
//! it runs (user, entrypoint and command, ports, environment variable names, volumes, labels).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use ts_rs::TS;

use super::facts::{Layer, PlatformFacts, RuntimeConfig};

/// A single value before and after.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ValueChange {
    pub from: Option<String>,
    pub to: Option<String>,
    pub changed: bool,
}

impl ValueChange {
    pub fn of(from: Option<String>, to: Option<String>, compared: bool) -> Self {
        let changed = compared && from != to;
        ValueChange { from, to, changed }
    }
}

/// A list (entrypoint, command) before and after; `null` when the config does not set it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ListChange {
    pub from: Option<Vec<String>>,
    pub to: Option<Vec<String>>,
    pub changed: bool,
}

/// Members of a set added and removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SetChange {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl SetChange {
    fn of(from: &BTreeSet<String>, to: &BTreeSet<String>) -> Self {
        SetChange {
            added: to.difference(from).cloned().collect(),
            removed: from.difference(to).cloned().collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Label {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LabelChange {
    pub key: String,
    pub from: String,
    pub to: String,
}

/// Config labels added, removed and changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LabelsChange {
    pub added: Vec<Label>,
    pub removed: Vec<Label>,
    pub changed: Vec<LabelChange>,
}

impl LabelsChange {
    fn of(from: &BTreeMap<String, String>, to: &BTreeMap<String, String>) -> Self {
        let label = |(k, v): (&String, &String)| Label {
            key: k.clone(),
            value: v.clone(),
        };
        LabelsChange {
            added: to
                .iter()
                .filter(|(k, _)| !from.contains_key(*k))
                .map(label)
                .collect(),
            removed: from
                .iter()
                .filter(|(k, _)| !to.contains_key(*k))
                .map(label)
                .collect(),
            changed: to
                .iter()
                .filter_map(|(k, v)| {
                    let before = from.get(k)?;
                    (before != v).then(|| LabelChange {
                        key: k.clone(),
                        from: before.clone(),
                        to: v.clone(),
                    })
                })
                .collect(),
        }
    }
}

/// Layers shared, added and removed (by digest), and the compressed size before and after.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LayersChange {
    #[ts(type = "number")]
    pub shared: u64,
    #[ts(type = "number")]
    pub added: u64,
    #[ts(type = "number")]
    pub removed: u64,
    /// Sum of the layers' compressed sizes, in bytes.
    #[ts(type = "number")]
    pub size_from: u64,
    #[ts(type = "number")]
    pub size_to: u64,
    /// `size_to - size_from`.
    #[ts(type = "number")]
    pub size_change: i64,
}

impl LayersChange {
    pub fn of(from: &[Layer], to: &[Layer]) -> Self {
        let a: BTreeSet<_> = from.iter().map(|l| &l.digest).collect();
        let b: BTreeSet<_> = to.iter().map(|l| &l.digest).collect();
        let size = |ls: &[Layer]| ls.iter().map(|l| l.size).sum::<u64>();
        let (size_from, size_to) = (size(from), size(to));
        LayersChange {
            shared: a.intersection(&b).count() as u64,
            added: b.difference(&a).count() as u64,
            removed: a.difference(&b).count() as u64,
            size_from,
            size_to,
            size_change: size_to as i64 - size_from as i64,
        }
    }
}

/// How the container runs, before and after.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RuntimeChange {
    /// `config.User` (`null` when not set).
    pub user: ValueChange,
    pub entrypoint: ListChange,
    pub cmd: ListChange,
    pub exposed_ports: SetChange,
    /// Names only: values may be secrets and are never read out of a config.
    pub env_names: SetChange,
    pub volumes: SetChange,
    pub labels: LabelsChange,
}

fn user(c: &RuntimeConfig) -> Option<String> {
    Some(c.user.trim().to_string()).filter(|u| !u.is_empty())
}

impl RuntimeChange {
    /// `from` is `None` for a first deployment: the candidate's values, nothing changed.
    pub fn of(from: Option<&RuntimeConfig>, to: &RuntimeConfig) -> Self {
        let Some(from) = from else {
            return RuntimeChange {
                user: ValueChange::of(None, user(to), false),
                entrypoint: ListChange {
                    from: None,
                    to: to.entrypoint.clone(),
                    changed: false,
                },
                cmd: ListChange {
                    from: None,
                    to: to.cmd.clone(),
                    changed: false,
                },
                ..RuntimeChange::default()
            };
        };
        let list = |a: &Option<Vec<String>>, b: &Option<Vec<String>>| ListChange {
            from: a.clone(),
            to: b.clone(),
            changed: a != b,
        };
        RuntimeChange {
            user: ValueChange::of(user(from), user(to), true),
            entrypoint: list(&from.entrypoint, &to.entrypoint),
            cmd: list(&from.cmd, &to.cmd),
            exposed_ports: SetChange::of(&from.exposed_ports, &to.exposed_ports),
            env_names: SetChange::of(&from.env_names, &to.env_names),
            volumes: SetChange::of(&from.volumes, &to.volumes),
            labels: LabelsChange::of(&from.labels, &to.labels),
        }
    }
}

/// One platform both images have, compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PlatformChange {
    pub platform: String,
    pub layers: LayersChange,
    pub runtime: RuntimeChange,
}

impl PlatformChange {
    pub fn of(from: Option<&PlatformFacts>, to: &PlatformFacts) -> Self {
        PlatformChange {
            platform: to.platform.clone(),
            layers: LayersChange::of(from.map_or(&[][..], |f| &f.layers), &to.layers),
            runtime: RuntimeChange::of(from.map(|f| &f.config), &to.config),
        }
    }
}

/// Whether a `config.User` runs as root: `0`, `root`, or either with a group (`0:0`, `root:…`).
pub fn is_root(user: &str) -> bool {
    let name = user.trim().split(':').next().unwrap_or("");
    name == "0" || name == "root"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Digest;

    fn layer(n: u8, size: u64) -> Layer {
        Layer {
            digest: Digest::of(&[n]),
            size,
        }
    }

    #[test]
    fn root_users() {
        for u in ["0", "root", "0:0", "root:root", "root:1000", " root "] {
            assert!(is_root(u), "{u}");
        }
        for u in ["", "1000", "app", "app:0", "rooter", "10", "1000:0"] {
            assert!(!is_root(u), "{u}");
        }
    }

    #[test]
    fn layers_shared_added_removed_and_size() {
        let c = LayersChange::of(
            &[layer(1, 100), layer(2, 50)],
            &[layer(1, 100), layer(3, 80), layer(4, 20)],
        );
        assert_eq!((c.shared, c.added, c.removed), (1, 2, 1));
        assert_eq!((c.size_from, c.size_to, c.size_change), (150, 200, 50));
        let smaller = LayersChange::of(&[layer(1, 100)], &[]);
        assert_eq!(smaller.size_change, -100);
    }

    #[test]
    fn config_changes() {
        let mut a = RuntimeConfig {
            user: "app".into(),
            entrypoint: Some(vec!["/app".into()]),
            ..RuntimeConfig::default()
        };
        a.exposed_ports.insert("8080/tcp".into());
        a.env_names.extend(["A".to_string(), "B".to_string()]);
        a.volumes.insert("/data".into());
        a.labels.insert("keep".into(), "1".into());
        a.labels.insert("gone".into(), "x".into());
        a.labels.insert("moved".into(), "old".into());
        let mut b = a.clone();
        b.user = "0".into();
        b.entrypoint = Some(vec!["/app".into(), "--debug".into()]);
        b.exposed_ports.insert("22/tcp".into());
        b.env_names.remove("A");
        b.env_names.insert("C".into());
        b.volumes.clear();
        b.labels.remove("gone");
        b.labels.insert("new".into(), "y".into());
        b.labels.insert("moved".into(), "new".into());
        let c = RuntimeChange::of(Some(&a), &b);
        assert!(c.user.changed);
        assert_eq!(c.user.to.as_deref(), Some("0"));
        assert!(c.entrypoint.changed && !c.cmd.changed);
        assert_eq!(c.exposed_ports.added, ["22/tcp"]);
        assert_eq!(c.env_names.added, ["C"]);
        assert_eq!(c.env_names.removed, ["A"]);
        assert_eq!(c.volumes.removed, ["/data"]);
        assert_eq!(c.labels.added[0].key, "new");
        assert_eq!(c.labels.removed[0].key, "gone");
        assert_eq!(c.labels.changed[0].from, "old");
        assert_eq!(
            RuntimeChange::of(Some(&a), &a),
            RuntimeChange {
                user: ValueChange::of(Some("app".into()), Some("app".into()), true),
                entrypoint: ListChange {
                    from: a.entrypoint.clone(),
                    to: a.entrypoint.clone(),
                    changed: false
                },
                cmd: ListChange::default(),
                ..RuntimeChange::default()
            }
        );
        let first = RuntimeChange::of(None, &b);
        assert!(!first.user.changed && first.env_names.is_empty());
    }
}
