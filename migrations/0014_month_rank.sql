-- A month's rank on the year page (issue 13) counts the scores above one's own: these
-- indexes make that a short index-only range scan per month.
create index monthly_score_window_rank on monthly_score (center_id, month, score) where window_id is not null;
create index monthly_score_staff_rank on monthly_score (center_id, month, score) where staff_id is not null;
