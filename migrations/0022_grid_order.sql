-- The score grid lists a department's (or a center's) staff in the order of their windows'
-- numbers, one page at a time: with the windows read in that order from these indexes, a
-- page stops after its rows instead of sorting every staff member of the department.
create index service_window_department_number on service_window (center_id, department_id, length(number), number);
create index service_window_center_number on service_window (center_id, length(number), number);
