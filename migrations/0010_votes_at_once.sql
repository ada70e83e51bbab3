-- A center may run the votes of several periods at once (issue 13: the quarter's and the
-- year's, say); each ballot names its period, and a head sees every open one. The
-- leadership group still rates one period at a time (period_one_rating stays).
drop index period_one_voting;
