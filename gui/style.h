/* SPDX-License-Identifier: MIT */
/* The colours: SP Flash Tool's stage bars and the result line. */
#ifndef MTKGUI_STYLE_H
#define MTKGUI_STYLE_H

void gui_style_install(void);

#endif
