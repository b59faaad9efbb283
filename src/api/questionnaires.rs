//! Crafting questionnaires on the wire: instruments, administrations with their scores, and
//! statistics across administrations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::facet::Dimension;
use crate::domain::questionnaire::{
    Answer, Direction, Item, NewInstrument, RespondentKind, Scale, Subscale, SubscaleScore,
    SubscaleStatistics,
};
use crate::store::questionnaires::{Administration, Instrument, NewAdministration};

/// An instrument as written by a client: an answer scale, subscales (each measuring one facet
/// of a crafting dimension, increasing or decreasing), and items in them.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstrumentRequest {
    #[schema(min_length = 1, max_length = 200, examples("Crafting check-in"))]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    pub scale: Scale,
    #[schema(min_items = 1, max_items = 20)]
    pub subscales: Vec<Subscale>,
    #[schema(min_items = 1, max_items = 200)]
    pub items: Vec<Item>,
}

impl InstrumentRequest {
    pub fn parse(self) -> Result<NewInstrument, crate::error::Error> {
        NewInstrument {
            name: self.name,
            description: self.description,
            scale: self.scale,
            subscales: self.subscales,
            items: self.items,
        }
        .validate()
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstrumentResponse {
    pub id: Uuid,
    // Inline: the request schema is closed (`additionalProperties: false`), so an `allOf` with
    // it would admit no response.
    #[serde(flatten)]
    #[schema(inline)]
    pub fields: InstrumentRequest,
    /// Increases with every change; the ETag.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Instrument> for InstrumentResponse {
    fn from(i: Instrument) -> Self {
        let NewInstrument { name, description, scale, subscales, items } = i.fields;
        InstrumentResponse {
            id: i.id,
            fields: InstrumentRequest { name, description, scale, subscales, items },
            version: i.version,
            created_at: i.created_at.and_utc(),
            updated_at: i.updated_at.and_utc(),
        }
    }
}

/// Answers about a tenure's holder.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdministrationRequest {
    /// The tenure whose holder the answers are about.
    pub tenure_id: Uuid,
    /// Who answered: the holder (`self`) or an observer.
    pub respondent: RespondentKind,
    /// The observer (or the holder), if known.
    #[serde(default)]
    pub respondent_person_id: Option<Uuid>,
    /// When it was answered, within the tenure; default now.
    #[serde(default)]
    pub administered_at: Option<DateTime<Utc>>,
    #[schema(min_items = 1, max_items = 200)]
    pub answers: Vec<Answer>,
}

impl AdministrationRequest {
    pub fn into_new(self) -> NewAdministration {
        NewAdministration {
            tenure_id: self.tenure_id,
            respondent_kind: self.respondent,
            respondent_person_id: self.respondent_person_id,
            administered_at: self.administered_at.map_or_else(crate::store::now, |t| t.naive_utc()),
            answers: self.answers,
        }
    }
}

/// One subscale's score in an administration.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscaleScoreResponse {
    pub subscale: String,
    pub name: String,
    pub dimension: Dimension,
    pub facet_key: String,
    pub direction: Direction,
    /// The mean of its answered items, reverse-keyed ones turned; null when none was answered.
    pub mean: Option<f64>,
    pub answered: usize,
    pub items: usize,
    /// The mean's place on the scale, 0 to 1 (negative for a decreasing subscale): the facet
    /// weight a crafting revision made from it gets.
    pub weight: Option<f64>,
}

impl SubscaleScoreResponse {
    pub fn of(s: SubscaleScore, scale: &Scale) -> Self {
        SubscaleScoreResponse {
            weight: s.weight(scale),
            mean: s.mean,
            answered: s.answered,
            items: s.items,
            subscale: s.subscale.key,
            name: s.subscale.name,
            dimension: s.subscale.dimension,
            facet_key: s.subscale.facet_key,
            direction: s.subscale.direction,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdministrationResponse {
    pub id: Uuid,
    pub instrument_id: Uuid,
    pub tenure_id: Uuid,
    pub respondent: RespondentKind,
    pub respondent_person_id: Option<Uuid>,
    pub administered_at: DateTime<Utc>,
    pub answers: Vec<Answer>,
    /// Per subscale, in the instrument's order.
    pub scores: Vec<SubscaleScoreResponse>,
    /// The crafting revision made from it (`POST /v1/administrations/{id}/crafting-revision`).
    pub revision_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl AdministrationResponse {
    pub fn of(a: Administration, scores: Vec<SubscaleScore>, scale: &Scale) -> Self {
        AdministrationResponse {
            id: a.id,
            instrument_id: a.instrument_id,
            tenure_id: a.fields.tenure_id,
            respondent: a.fields.respondent_kind,
            respondent_person_id: a.fields.respondent_person_id,
            administered_at: a.fields.administered_at.and_utc(),
            answers: a.fields.answers,
            scores: scores.into_iter().map(|s| SubscaleScoreResponse::of(s, scale)).collect(),
            revision_id: a.revision_id,
            created_at: a.created_at.and_utc(),
        }
    }
}

/// How many subscale scores fall nearest one point of the scale.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DistributionPoint {
    pub value: i32,
    pub label: Option<String>,
    pub count: usize,
}

/// A subscale across the instrument's administrations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscaleStatisticsResponse {
    pub subscale: String,
    pub name: String,
    pub dimension: Dimension,
    pub facet_key: String,
    /// Administrations that answered at least one of its items.
    pub n: usize,
    /// Cronbach's alpha over the administrations that answered every item of it; null for
    /// fewer than two items or two such administrations, or scores that never vary.
    pub alpha: Option<f64>,
    /// How many administrations the alpha is over.
    pub alpha_n: usize,
    pub mean: Option<f64>,
    /// Sample standard deviation of the scores.
    pub sd: Option<f64>,
    pub distribution: Vec<DistributionPoint>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstrumentStatisticsResponse {
    pub instrument_id: Uuid,
    pub administrations: usize,
    pub subscales: Vec<SubscaleStatisticsResponse>,
}

impl InstrumentStatisticsResponse {
    pub fn of(
        instrument: &Instrument,
        administrations: usize,
        stats: Vec<SubscaleStatistics>,
    ) -> Self {
        let scale = &instrument.fields.scale;
        InstrumentStatisticsResponse {
            instrument_id: instrument.id,
            administrations,
            subscales: stats
                .into_iter()
                .map(|s| SubscaleStatisticsResponse {
                    distribution: s
                        .distribution
                        .iter()
                        .zip(scale.min..)
                        .map(|(count, value)| DistributionPoint {
                            value,
                            label: scale
                                .labels
                                .iter()
                                .find(|l| l.value == value)
                                .map(|l| l.label.clone()),
                            count: *count,
                        })
                        .collect(),
                    subscale: s.subscale.key,
                    name: s.subscale.name,
                    dimension: s.subscale.dimension,
                    facet_key: s.subscale.facet_key,
                    n: s.n,
                    alpha: s.alpha,
                    alpha_n: s.alpha_n,
                    mean: s.mean,
                    sd: s.sd,
                })
                .collect(),
        }
    }
}
