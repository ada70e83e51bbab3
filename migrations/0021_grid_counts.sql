-- The score grid counts a center's active entrants by department on every page (the
-- department list and its counts). These two indexes let it read only index pages: the
-- center's active staff by window, and its windows with their department.
create index staff_center_window_active on staff (center_id, window_id) where active;
create index service_window_center_department on service_window (center_id, window_id) include (department_id, active);
