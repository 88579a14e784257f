"""English: ISO dates and the same number formats as Chinese (one house style)."""

from xietong.config.formats.zh_Hans.formats import *  # noqa: F403
