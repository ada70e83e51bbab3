-- The not-assessed page counts a month's scores of active entrants as all the month's
-- scores (month_score_count) less those of inactive ones: these find a center's inactive
-- windows and staff without reading its active ones.
create index service_window_inactive on service_window (center_id) where not active;
create index staff_inactive on staff (center_id) where not active;
