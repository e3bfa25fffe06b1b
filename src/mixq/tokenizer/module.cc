// placeholder translation unit until the module lands
