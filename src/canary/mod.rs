//! Canary judgement (placeholder while the judge is written).
